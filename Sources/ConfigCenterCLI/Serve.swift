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
        ProcessLogging.bootstrap()
        let settings = CenterSettings(
            host: host, port: port, dataDirectory: data, clusterSecret: secret, connectionLimits: try connections.limits(),
            tls: try tls.serverTLS())
        do {
            try await CenterServer.run(settings: settings, logger: Logger(label: "config-center"))
        } catch let error as CenterSettingsError {
            throw ValidationError(error.description)
        }
    }
}
