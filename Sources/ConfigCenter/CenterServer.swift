// The config-center process: its database, its store and its HTTP server, ready to run.

import Foundation
import Hummingbird
public import Logging
import ServiceLifecycle

/// Where and how a config-center runs.
public struct CenterSettings: Sendable {
    public var host: String
    public var port: Int
    /// Folder of the config-center's SQLite database (created when missing).
    public var dataDirectory: String

    public init(host: String = "127.0.0.1", port: Int = 7000, dataDirectory: String) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
    }
}

public enum CenterServer {
    /// Opens (or creates) the database under `settings.dataDirectory` and serves until SIGTERM or SIGINT.
    public static func run(settings: CenterSettings, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let pool = try CenterDatabase.open(path: settings.dataDirectory + "/center.sqlite")
        let store = try CenterStore(pool: pool)
        let app = Application(
            router: CenterRoutes.router(store: store),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "config-center"),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [app, LongPollRelease(watch: store.watch)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
