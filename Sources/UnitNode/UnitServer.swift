// A unit node put together: database, desk, writer, config follower, reporter and HTTP server.

import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
public import FlashSaleStorage
import Foundation
import GRDB
public import Hummingbird
public import Logging
public import NIOSSL
import ServiceLifecycle

/// Where and how a unit runs.
public struct UnitSettings: Sendable {
    public var unit: String
    public var region: String
    public var host: String
    public var port: Int
    /// Folder of the unit's SQLite database (created when missing); one folder per unit.
    public var dataDirectory: String
    public var centerURL: String
    /// The URL the config-center and buyers reach this unit at; defaults to http://host:port (https:// with TLS).
    public var advertisedURL: String?
    public var synchronous: SynchronousMode
    public var reportInterval: Duration
    public var longPollSeconds: Int
    /// The cluster secret that authenticates gossip; without it the unit does not gossip and sells only what the
    /// config-center granted it.
    public var clusterSecret: String?
    public var gossipInterval: Duration
    public var gossipFanout: Int
    /// How long a unit on a new database waits for silent peers' copies of its row before it sells again.
    public var recoveryPatience: Duration
    /// How often unpaid orders past their payment window are expired.
    public var expiryInterval: Duration
    /// Connections the unit holds, per client and in total, and how long a request may take to arrive.
    public var connectionLimits: ConnectionLimits
    /// The config-center's public key (64 hex digits); nil: pin the key of the first signed configuration.
    public var centerPublicKey: String?
    /// The bearer credential of fulfilment consumers: reading the order log and following its stream need it
    /// (nil: nobody may read them).
    public var ordersCredential: String?
    /// The payment provider's webhook secret: an order becomes paid only by a callback signed with it (nil: no
    /// order can be paid at this unit).
    public var paymentWebhookSecret: String?
    /// The certificate and key it serves HTTPS with (`TLSFiles.server`); nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// What its own calls trust for `https://` URLs, the config-center's and its peers' (`TLSFiles.client`); nil:
    /// AsyncHTTPClient's default (the system's trust store).
    public var clientTLS: TLSConfiguration?
    /// Load balancers in front of the unit: their X-Forwarded-For names the buyer an address rate limit counts, and
    /// their connections are held to the total connection limit only.
    public var trustedProxies: TrustedProxies

    public init(
        unit: String, region: String, host: String = "127.0.0.1", port: Int, dataDirectory: String, centerURL: String,
        advertisedURL: String? = nil, synchronous: SynchronousMode = .full, reportInterval: Duration = .seconds(1),
        longPollSeconds: Int = 25, clusterSecret: String? = nil, gossipInterval: Duration = .milliseconds(200),
        gossipFanout: Int = 2, recoveryPatience: Duration = .seconds(5), expiryInterval: Duration = .seconds(1),
        connectionLimits: ConnectionLimits = ConnectionLimits(), centerPublicKey: String? = nil,
        ordersCredential: String? = nil, paymentWebhookSecret: String? = nil, tls: TLSConfiguration? = nil,
        clientTLS: TLSConfiguration? = nil, trustedProxies: TrustedProxies = .none
    ) {
        self.trustedProxies = trustedProxies
        self.tls = tls
        self.clientTLS = clientTLS
        self.centerPublicKey = centerPublicKey
        self.ordersCredential = ordersCredential
        self.paymentWebhookSecret = paymentWebhookSecret
        self.unit = unit
        self.region = region
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.centerURL = centerURL
        self.advertisedURL = advertisedURL
        self.synchronous = synchronous
        self.reportInterval = reportInterval
        self.longPollSeconds = longPollSeconds
        self.clusterSecret = clusterSecret
        self.gossipInterval = gossipInterval
        self.gossipFanout = gossipFanout
        self.recoveryPatience = recoveryPatience
        self.expiryInterval = expiryInterval
        self.connectionLimits = connectionLimits
    }
}

/// Why unit settings cannot be used.
public struct UnitSettingsError: Error, CustomStringConvertible {
    public let description: String
}

public enum UnitServer {
    /// The `Server` header of every answer, Hummingbird's and the purchase handler's.
    static let serverName = "flashsale-unit"

    /// Runs a unit until SIGTERM or SIGINT (or until one of its services fails), then stops taking purchases,
    /// commits every order it admitted and stops. It never cancels its server: see `ServerGroup`.
    public static func run(settings: UnitSettings, logger: Logger) async throws {
        let (server, services) = try await parts(settings: settings, logger: logger)
        try await ServerGroup.make(services: services + [server], logger: logger).run()
    }

    /// The unit as one application with its background services inside, for tests that drive it through
    /// HummingbirdTesting (which runs the services alongside its router or its live server).
    public static func application(
        settings: UnitSettings, logger: Logger, nowMs: @escaping @Sendable () -> Int64 = { Date().millisecondsSince1970 }
    ) async throws -> some ApplicationProtocol {
        var (server, services) = try await parts(settings: settings, logger: logger, nowMs: nowMs)
        server.addServices(services)
        return server
    }

    /// Opens the unit's database, rebuilds its memory from it (so it sells at once, even with the
    /// config-center down) and returns its HTTP server and its background services, in start order: the
    /// group-commit writer starts before, and stops after, everything that admits orders.
    static func parts(
        settings: UnitSettings, logger: Logger, nowMs: @escaping @Sendable () -> Int64 = { Date().millisecondsSince1970 }
    ) async throws -> (Application<RouterResponder<WireRequestContext>>, [any Service]) {
        guard IdentifierRule.isValidID(settings.unit), settings.unit != NodeID.center.rawValue else {
            throw UnitSettingsError(description: "unit id must be 1-64 characters of a-z, 0-9 and '-', and not 'center'")
        }
        guard IdentifierRule.isValidID(settings.region) else {
            throw UnitSettingsError(description: "region id must be 1-64 characters of a-z, 0-9 and '-'")
        }
        let unit = NodeID(settings.unit)
        // Every line of this unit says which unit and region it comes from, however the caller made its logger.
        let logger = ProcessLogging.tagged(logger, ["unit": "\(settings.unit)", "region": "\(settings.region)"])
        let metrics = UnitMetrics()
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let store = try UnitStore.open(path: settings.dataDirectory + "/unit.sqlite", synchronous: settings.synchronous)
        let (recovering, savedConfig, lastOrderID) = try await store.claim(unit: unit, region: settings.region)
        if recovering {
            logger.info("new or not yet recovered database: waiting for the config-center and peers before selling, in case this unit sold before")
        }
        var seal: GossipSeal?
        if let secret = settings.clusterSecret {
            guard let made = GossipSeal(secret: Array(secret.utf8)) else {
                throw UnitSettingsError(description: "the cluster secret must be at least \(GossipSeal.secretMinBytes) bytes")
            }
            seal = made
        }
        guard (1...16).contains(settings.gossipFanout), settings.gossipInterval >= .milliseconds(10) else {
            throw UnitSettingsError(description: "gossip fanout must be 1-16 and the interval at least 10 ms")
        }
        if let problem = settings.connectionLimits.problem { throw UnitSettingsError(description: problem) }
        let machine = LockedMachine(
            UnitMachine(
                unit: unit, lastOrderID: lastOrderID, gossiping: seal != nil,
                recovery: recovering ? RecoveryProgress(patienceMs: settings.recoveryPatience.milliseconds) : nil))
        let guardianWait = GuardianWait()
        let writer = GroupCommitWriter(store: store, machine: machine, metrics: metrics, logger: logger, guardianWait: guardianWait)
        let desk = PurchaseDesk(machine: machine, writer: writer, nowMs: nowMs)
        var captchaKey = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in captchaKey.indices { captchaKey[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let gate = try BuyerGate(
            unit: settings.unit, region: settings.region, captchaKey: captchaKey, metrics: metrics,
            trustedProxies: settings.trustedProxies)
        if let savedConfig {
            try gate.update(savedConfig)
            // Before any service runs, so straight from the store: the writer is not running yet.
            machine.apply(try await store.loaded(savedConfig.sales.map(\.terms), unit: unit))
            machine.apply(try await store.custodyEvents(savedConfig, unit: unit, region: settings.region))
            logger.info("resumed from the saved config", metadata: ["version": "\(savedConfig.version)"])
        }
        // The unit's own key signs what it sends the config-center, which accepts it once an operator enrolled the
        // public half (`flashsale-unit key` prints it).
        let key = try NodeKey.loadOrCreate(file: settings.dataDirectory + "/" + NodeKey.fileName)
        logger.info("node key loaded", metadata: ["publicKey": "\(key.publicKey)"])
        let http = ConfigCenterClient.makeHTTPClient(tls: settings.clientTLS)
        // The config-center's key: the operator's, or the one pinned at first contact (kept in the data folder).
        let centerKey = try CenterKeyPin(given: settings.centerPublicKey, file: settings.dataDirectory + "/center.pub")
        let client = ConfigCenterClient(
            baseURL: settings.centerURL, httpClient: http, signer: (settings.unit, key), centerKey: centerKey)
        let recovery = UnitRecovery(desk: desk, writer: writer, logger: logger)
        let follower = ConfigFollower(
            client: client, writer: writer, desk: desk, recovery: recovery, gate: gate, gossiping: seal != nil, starting: savedConfig,
            longPollSeconds: settings.longPollSeconds, nowMs: nowMs, logger: logger)
        let url = settings.advertisedURL ?? "\(settings.tls == nil ? "http" : "https")://\(settings.host):\(settings.port)"
        let granter = RightsGranter(desk: desk, writer: writer, metrics: metrics, logger: logger)
        let reporter = Reporter(
            client: client, desk: desk, store: store, granter: granter, follower: follower, region: settings.region, url: url,
            interval: settings.reportInterval, nowMs: nowMs, logger: logger)
        let access = OrderAccess(
            ordersCredential: settings.ordersCredential, paymentWebhookSecret: settings.paymentWebhookSecret, nodeKey: key)
        // With gossip, a dry unit asks peers for stock at once and holds its buyers a moment meanwhile (issue 16).
        let pulls = seal == nil ? nil : StockPulls(rule: PullRule(horizonMs: max(settings.gossipInterval.milliseconds, 1)))
        let hold = seal == nil ? nil : StockHold(stock: { desk.heldRetries(sale: $0) })
        let front = PurchaseFront(
            desk: desk, gate: gate, metrics: metrics, access: access, pulls: pulls, hold: hold, guardianWait: guardianWait,
            nowMs: nowMs)
        let router = UnitRoutes.router(front: front, store: store, writer: writer, region: settings.region, nowMs: nowMs)
        OperationsRoutes.add(to: router, metrics: metrics, desk: desk, follower: follower, store: store)
        // The custody of the region's buyers (issue 16): copies to guardians, a retired unit's questions.
        let unitKeys = { @Sendable in GossipMembers.keys(units: follower.units, centerKey: centerKey.key).filter { $0.key != .center } }
        CustodyRoutes.add(to: router, unit: unit, machine: machine, writer: writer, key: key, members: unitKeys, nowMs: nowMs)
        let courier = CustodyCourier(
            unit: unit, machine: machine, wait: guardianWait, writer: writer, http: http, key: key,
            peers: {
                CustodyCourier.Peers(
                    urls: Dictionary(follower.units.compactMap { spec in spec.url.map { (NodeID(spec.id), $0) } }) { first, _ in first },
                    keys: unitKeys())
            },
            nowMs: nowMs, logger: logger)
        let sweeper = ExpirySweeper(
            desk: desk, writer: writer, interval: settings.expiryInterval, nowMs: nowMs, metrics: metrics, logger: logger)
        var services: [any Service] = [HTTPClientCloser(client: http), writer, follower, reporter, sweeper, courier]
        if let seal, let pulls, let hold {
            let intervalMs = settings.gossipInterval.milliseconds
            services.append(hold)
            let exchange = GossipExchange(
                desk: desk, store: store, writer: writer, gate: GossipGate(seal: seal), policy: RebalancePolicy(), granter: granter,
                pulls: pulls, recovery: recovery, pulseMaxAgeMs: max(5 * intervalMs, 2_000), key: key,
                members: { GossipMembers.keys(units: follower.units, centerKey: centerKey.key) },
                formerKey: { [unit = desk.unit] in
                    follower.units.first { $0.id == unit.rawValue }?.previousPublicKey.flatMap(NodeKey.publicKey)
                },
                nowMs: nowMs, metrics: metrics, logger: logger)
            GossipRoutes.add(to: router, exchange: exchange)
            services.append(
                Gossiper(
                    exchange: exchange, http: http,
                    peers: {
                        // The config-center is a peer too (node C); a unit whose center does not gossip just
                        // gets a 404 from it and carries on with the others.
                        // Only enrolled units (with a key): the answer of any other would be refused anyway.
                        follower.units.compactMap { spec in
                            guard spec.id != unit.rawValue, let url = spec.url, spec.publicKey != nil else { return nil }
                            return (NodeID(spec.id), url)
                        } + [(NodeID.center, settings.centerURL)]
                    },
                    interval: settings.gossipInterval, fanout: settings.gossipFanout, metrics: metrics, logger: logger))
        }
        // Purchases are answered on the event loop by `PurchaseHandler`; every other request goes on to the router.
        let connections = ConnectionGate(limits: settings.connectionLimits, trustedProxies: settings.trustedProxies)
        let server = Application(
            router: router,
            server: try connections.server(tls: settings.tls) { PurchaseHandler(front: front, serverName: serverName) },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: serverName),
            logger: logger)
        return (server, services)
    }
}

extension Duration {
    /// Whole milliseconds, for settings passed to code that counts time as plain integers.
    var milliseconds: Int64 {
        components.seconds &* 1000 &+ components.attoseconds / 1_000_000_000_000_000
    }
}
