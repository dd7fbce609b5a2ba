// The config-center process: its database, its store and its HTTP server, ready to run.

public import Hummingbird
public import Logging
import Foundation

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
    /// Runs the config-center until SIGTERM or SIGINT.
    public static func run(settings: CenterSettings, logger: Logger) async throws {
        try await application(settings: settings, logger: logger).runService()
    }

    /// Opens (or creates) the database under `settings.dataDirectory` and builds the HTTP application.
    public static func application(settings: CenterSettings, logger: Logger) throws -> some ApplicationProtocol {
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let pool = try CenterDatabase.open(path: settings.dataDirectory + "/center.sqlite")
        let store = try CenterStore(pool: pool)
        return Application(
            router: CenterRoutes.router(store: store),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "config-center"),
            logger: logger)
    }
}
