// `config-center serve`: the config-center server itself.

import ArgumentParser
import ConfigCenter
import FlashSaleAPI
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the config-center server.")

    @Option(help: "Address to listen on, host:port.")
    var listen: String = "127.0.0.1:7000"

    @Option(help: "Data directory (its SQLite database lives here).")
    var data: String

    @Option(help: "File holding the units' cluster secret (or FLASHSALE_CLUSTER_SECRET): the config-center then gossips with them as node C.")
    var clusterSecretFile: String?

    @Option(
        help: ArgumentHelp(
            "Seconds an owner of an open sale may be silent (no report heard while the config-center was awake) "
                + "before it is retired, 1-3600.",
            discussion: """
                A retired unit's buyers are taken over by its region's other owners for the rest of the sale, once \
                they hold copies of every order it acknowledged: short enough that a down unit's buyers are not \
                kept waiting, long enough that a restart or a short pause (herd's faults last 0.5-2 s) never \
                costs a unit its buyers. A paused config-center retires nobody until it has listened this long again.
                """,
            valueName: "seconds"))
    var retireAfter: Double = Double(CenterSettings.retireAfterDefaultMs) / 1_000

    @OptionGroup(title: "Connections")
    var connections: ConnectionLimitOptions

    @OptionGroup(title: "TLS")
    var tls: ServerTLSOptions

    func run() async throws {
        let secret: String?
        do {
            secret = try ClusterSecret.read(file: clusterSecretFile)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let (host, port) = ListenAddress.parse(listen) else {
            throw ValidationError("--listen must be host:port, e.g. 127.0.0.1:7000")
        }
        let retireAfterRange = Double(CenterSettings.retireAfterMinimumMs) / 1_000...3_600
        guard retireAfter.isFinite, retireAfterRange.contains(retireAfter) else {
            throw ValidationError("--retire-after must be 1-3600 seconds")
        }
        ProcessLogging.bootstrap()
        let settings = CenterSettings(
            host: host, port: port, dataDirectory: data, clusterSecret: secret, connectionLimits: try connections.limits(),
            tls: try tls.serverTLS(), retireAfterMs: Int64((retireAfter * 1_000).rounded()))
        do {
            try await CenterServer.run(settings: settings, logger: Logger(label: "config-center"))
        } catch let error as CenterSettingsError {
            throw ValidationError(error.description)
        }
    }
}
