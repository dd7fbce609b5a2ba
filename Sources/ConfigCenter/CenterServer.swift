// The config-center process: its database, its store and its HTTP server, ready to run.

import Foundation
import Hummingbird
public import Logging
import FlashSaleAPI
public import NIOSSL
import ServiceLifecycle

/// Where and how a config-center runs.
public struct CenterSettings: Sendable {
    public var host: String
    public var port: Int
    /// Folder of the config-center's SQLite database (created when missing).
    public var dataDirectory: String
    /// The units' cluster secret: with it the config-center takes part in their gossip as node C.
    public var clusterSecret: String?
    /// Connections the config-center holds, per client and in total, and how long a request may take to arrive.
    public var connectionLimits: ConnectionLimits
    /// The certificate and key it serves HTTPS with (`TLSFiles.server`); nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// How long an owner of an open sale is silent (no report heard while the config-center was awake) before it is
    /// retired and its region's other owners take its buyers for the rest of the sale (`OwnerRetirement`).
    public var retireAfterMs: Int64

    public init(
        host: String = "127.0.0.1", port: Int = 7000, dataDirectory: String, clusterSecret: String? = nil,
        connectionLimits: ConnectionLimits = ConnectionLimits(), tls: TLSConfiguration? = nil,
        retireAfterMs: Int64 = CenterSettings.retireAfterDefaultMs
    ) {
        self.retireAfterMs = retireAfterMs
        self.tls = tls
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.clusterSecret = clusterSecret
        self.connectionLimits = connectionLimits
    }
}

extension CenterSettings {
    /// The file in the data directory that holds the first admin's credential, written at first start.
    public static let adminCredentialFileName = "admin.credential"

    /// Five seconds: five missed reports at the units' default interval, more than a restart or the 0.5-2 s pauses
    /// `herd --faults` makes, yet short enough that a down unit's buyers are not kept waiting.
    public static let retireAfterDefaultMs: Int64 = 5_000

    /// The shortest silence span taken: below it, a unit's ordinary report jitter and a garbage-collection-sized
    /// pause of its host would cost it its buyers for the rest of the sale.
    public static let retireAfterMinimumMs: Int64 = 1_000
}

public enum CenterServer {
    /// Opens (or creates) the database under `settings.dataDirectory` and serves until SIGTERM or SIGINT, then stops
    /// by graceful shutdown (see `ServerGroup`).
    public static func run(settings: CenterSettings, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let pool = try CenterDatabase.open(path: settings.dataDirectory + "/center.sqlite")
        let store = try CenterStore(pool: pool)
        let credentialFile = settings.dataDirectory + "/" + CenterSettings.adminCredentialFileName
        if try await store.ensureFirstAdmin(credentialFile: credentialFile) {
            logger.notice("first start: the admin credential is in \(credentialFile) (readable by this user only)")
        }
        // The config-center's own key signs the configuration and its gossip; units pin its public half.
        let key = try NodeKey.loadOrCreate(file: settings.dataDirectory + "/" + NodeKey.fileName)
        logger.info("config-center key loaded", metadata: ["publicKey": "\(key.publicKey)"])
        var gossip: CenterGossip?
        if let secret = settings.clusterSecret {
            guard let seal = GossipSeal(secret: Array(secret.utf8)) else {
                throw CenterSettingsError(description: "the cluster secret must be at least \(GossipSeal.secretMinBytes) bytes")
            }
            gossip = CenterGossip(store: store, seal: seal, key: key, logger: logger)
        }
        if let problem = settings.connectionLimits.problem { throw CenterSettingsError(description: problem) }
        let app = Application(
            router: CenterRoutes.router(store: store, gossip: gossip, key: key), 
            server: try ConnectionGate(limits: settings.connectionLimits).server(tls: settings.tls),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "config-center"),
            logger: logger)
        guard settings.retireAfterMs >= CenterSettings.retireAfterMinimumMs else {
            throw CenterSettingsError(
                description: "the retirement span must be at least \(CenterSettings.retireAfterMinimumMs) ms")
        }
        let retirement = OwnerRetirement(store: store, silenceMs: settings.retireAfterMs, logger: logger)
        // Shut down in reverse order: retirement stops first (while the server drains, no report is heard, and nobody
        // should be retired for it), then long-polls are answered, so the server's connections can finish.
        let services: [any Service] = [app, LongPollRelease(watch: store.watch), retirement]
        try await ServerGroup.make(services: services, logger: logger).run()
    }
}

/// Why config-center settings cannot be used.
public struct CenterSettingsError: Error, CustomStringConvertible {
    public let description: String
}
