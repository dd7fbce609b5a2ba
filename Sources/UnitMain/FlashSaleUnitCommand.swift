// `flashsale-unit`: one unit node of one region.

import ArgumentParser
import FlashSaleAPI
import FlashSaleStorage
import Foundation
import Logging
import NIOCore
import UnitNode

@main
struct FlashSaleUnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flashsale-unit",
        abstract: "Run one unit node, or print its public key for enrolment.",
        subcommands: [RunUnit.self, PublicKey.self], defaultSubcommand: RunUnit.self)
}

/// `flashsale-unit key --data DIR`: the unit's public key, which an admin enrolls it with.
struct PublicKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print this unit's public key (making its key pair in --data when there is none yet).",
        discussion: "Enrol the unit with it: config-center unit add ID --region REGION --url URL --public-key KEY")

    @Option(help: "Data directory of the unit.")
    var data: String

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            print(try NodeKey.loadOrCreate(file: data + "/" + NodeKey.fileName).publicKey)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// `flashsale-unit [run] --id ID ...`: the unit itself (the default subcommand).
struct RunUnit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one unit node: it sells its share of each sale at its regional endpoint.",
        discussion: """
            An admin enrolls the unit first (config-center unit add, with the key `flashsale-unit key` prints). The \
            unit signs its heartbeats and configuration requests with its own key, follows its configuration by \
            long-poll and keeps the last copy in its own SQLite database under --data, so it keeps selling when the \
            config-center is down.
            """)

    @Option(help: "Unit id, unique in the cluster (a-z, 0-9, '-').")
    var id: String

    @Option(help: "Region the unit serves; it must exist at the config-center.")
    var region: String

    @Option(help: "Address to listen on, host:port.")
    var listen: String = "127.0.0.1:8101"

    @Option(help: "Data directory of this unit (one per unit).")
    var data: String

    @Option(help: "Config-center URL.")
    var center: String = ProcessInfo.processInfo.environment["FLASHSALE_CENTER"] ?? "https://127.0.0.1:7000"

    @Option(help: ArgumentHelp(
        "The config-center's public key (64 hex digits; GET /v1/identity, or its log, shows it).",
        discussion: "Without it the unit trusts the key of the first signed configuration and keeps it in <data>/center.pub."))
    var centerPublicKey: String?

    @Option(help: ArgumentHelp(
        "File holding the orders credential (or FLASHSALE_ORDERS_CREDENTIAL_FILE): fulfilment consumers present it to read the order log and its stream.",
        discussion: "Without one nobody can read them."))
    var ordersCredentialFile: String?

    @Option(help: ArgumentHelp(
        "File holding the payment provider's webhook secret (or FLASHSALE_PAYMENT_WEBHOOK_SECRET_FILE): an order is paid only by a callback signed with it.",
        discussion: "Without one no order can be paid at this unit."))
    var paymentWebhookSecretFile: String?

    @Option(help: "URL buyers and the config-center reach this unit at (default: https://<listen>, or http:// with --plain-http).")
    var advertise: String?

    @Option(help: "SQLite durability: full (survives power loss) or normal (survives a crash of the process).")
    var synchronous: String = "full"

    @Option(help: "File holding the cluster secret that authenticates gossip between units (or FLASHSALE_CLUSTER_SECRET). Without one the unit does not gossip.")
    var clusterSecretFile: String?

    @Option(help: "Milliseconds between gossip rounds.")
    var gossipIntervalMs: Int = 200

    @Option(help: "Peers per gossip round.")
    var gossipFanout: Int = 2

    @Option(help: "Milliseconds between reports to the config-center.")
    var reportIntervalMs: Int = 1000

    @Option(help: "On a new database, milliseconds to wait for silent peers' copies of this unit's counters before selling.")
    var recoveryPatienceMs: Int = 5000

    @OptionGroup(title: "Connections")
    var connections: ConnectionLimitOptions

    @Option(help: ArgumentHelp(
        "A load balancer or proxy in front of this unit (an address or network, e.g. 10.0.0.0/8; repeatable).",
        discussion: "Its X-Forwarded-For names the buyer that the address rate limit counts; anyone else's is ignored."))
    var trustedProxy: [String] = []

    @OptionGroup(title: "TLS (this unit's endpoint)")
    var tls: ServerTLSOptions

    @OptionGroup(title: "TLS (the config-center and peers this unit calls)")
    var clientTLS: ClientTLSOptions

    private func proxies() throws -> TrustedProxies {
        do {
            return try TrustedProxies(parsing: trustedProxy)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        // One event loop per CPU the unit may run on (before anything starts the loops; see `CPUAffinity`).
        if let loops = CPUAffinity.eventLoops(coreCount: System.coreCount, environment: ProcessInfo.processInfo.environment) {
            NIOSingletons.groupLoopCountSuggestion = loops
        }
        let secret: String?
        do {
            secret = try ClusterSecret.read(file: clusterSecretFile)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let (host, port) = ListenAddress.parse(listen) else {
            throw ValidationError("--listen must be host:port, e.g. 127.0.0.1:8101")
        }
        guard let mode = SynchronousMode(rawValue: synchronous) else {
            throw ValidationError("--synchronous must be full or normal")
        }
        guard reportIntervalMs >= 10, recoveryPatienceMs >= 0 else {
            throw ValidationError("--report-interval-ms must be at least 10 and --recovery-patience-ms not negative")
        }
        let environment = ProcessInfo.processInfo.environment
        let ordersCredential: String?
        let webhookSecret: String?
        do {
            ordersCredential = try (ordersCredentialFile ?? environment["FLASHSALE_ORDERS_CREDENTIAL_FILE"])
                .map { try SecretFile.read($0, what: "orders credential file") }
            webhookSecret = try (paymentWebhookSecretFile ?? environment["FLASHSALE_PAYMENT_WEBHOOK_SECRET_FILE"])
                .map { try SecretFile.read($0, what: "payment webhook secret file") }
        } catch {
            throw ValidationError("\(error)")
        }
        for secret in [ordersCredential, webhookSecret].compactMap({ $0 }) where secret.utf8.count < PaymentCallback.secretMinBytes {
            throw ValidationError("the orders credential and the webhook secret must be at least \(PaymentCallback.secretMinBytes) bytes")
        }
        ProcessLogging.bootstrap(fixed: ["unit": "\(id)", "region": "\(region)"])
        let logger = Logger(label: "flashsale-unit")
        let settings = UnitSettings(
            unit: id, region: region, host: host, port: port, dataDirectory: data, centerURL: center,
            advertisedURL: advertise, synchronous: mode, reportInterval: .milliseconds(reportIntervalMs),
            clusterSecret: secret, gossipInterval: .milliseconds(gossipIntervalMs), gossipFanout: gossipFanout,
            recoveryPatience: .milliseconds(recoveryPatienceMs), connectionLimits: try connections.limits(),
            centerPublicKey: centerPublicKey, ordersCredential: ordersCredential, paymentWebhookSecret: webhookSecret,
            tls: try tls.serverTLS(), clientTLS: try clientTLS.clientTLS(), trustedProxies: try proxies())
        do {
            try await UnitServer.run(settings: settings, logger: logger)
        } catch let error as UnitSettingsError {
            throw ValidationError(error.description)
        } catch let error as CenterKeyPin.Refusal {
            throw ValidationError(error.description)
        }
    }
}
