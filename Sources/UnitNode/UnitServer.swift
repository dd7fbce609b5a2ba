// A unit node put together: database, desk, writer, config follower, reporter and HTTP server.

import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
public import FlashSaleStorage
import Foundation
import GRDB
public import Hummingbird
public import Logging

/// Where and how a unit runs.
public struct UnitSettings: Sendable {
    public var unit: String
    public var region: String
    public var host: String
    public var port: Int
    /// Folder of the unit's SQLite database (created when missing); one folder per unit.
    public var dataDirectory: String
    public var centerURL: String
    /// The URL the config-center and buyers reach this unit at; defaults to http://host:port.
    public var advertisedURL: String?
    public var synchronous: SynchronousMode
    public var reportInterval: Duration
    public var longPollSeconds: Int

    public init(
        unit: String, region: String, host: String = "127.0.0.1", port: Int, dataDirectory: String, centerURL: String,
        advertisedURL: String? = nil, synchronous: SynchronousMode = .full, reportInterval: Duration = .seconds(1),
        longPollSeconds: Int = 25
    ) {
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
    }
}

/// Why unit settings cannot be used.
public struct UnitSettingsError: Error, CustomStringConvertible {
    public let description: String
}

public enum UnitServer {
    /// Runs a unit until SIGTERM or SIGINT, then drains in-flight purchases and stops.
    public static func run(settings: UnitSettings, logger: Logger) async throws {
        try await application(settings: settings, logger: logger).runService()
    }

    /// Opens the unit's database, rebuilds its memory from it (so it sells at once, even with the
    /// config-center down) and returns the application with its background services.
    public static func application(
        settings: UnitSettings, logger: Logger, nowMs: @escaping @Sendable () -> Int64 = { Date().millisecondsSince1970 }
    ) async throws -> some ApplicationProtocol {
        guard IdentifierRule.isValidID(settings.unit), settings.unit != NodeID.center.rawValue else {
            throw UnitSettingsError(description: "unit id must be 1-64 characters of a-z, 0-9 and '-', and not 'center'")
        }
        guard IdentifierRule.isValidID(settings.region) else {
            throw UnitSettingsError(description: "region id must be 1-64 characters of a-z, 0-9 and '-'")
        }
        let unit = NodeID(settings.unit)
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let pool = try UnitDatabase.open(path: settings.dataDirectory + "/unit.sqlite", synchronous: settings.synchronous)
        let (savedConfig, lastOrderID) = try await pool.write { db in
            try UnitRecords.claim(unit: unit, region: settings.region, db)
            return (try UnitRecords.savedConfig(db), try UnitRecords.lastOrderID(unit: unit, db))
        }
        let writer = GroupCommitWriter(pool: pool, logger: logger)
        let desk = PurchaseDesk(unit: unit, lastOrderID: lastOrderID, writer: writer, nowMs: nowMs)
        if let savedConfig {
            try await UnitStartup.loadSales(savedConfig.sales.map(\.terms), into: desk, from: pool)
            logger.info("resumed from the saved config", metadata: ["version": "\(savedConfig.version)"])
        }
        let http = ConfigCenterClient.makeHTTPClient()
        let client = ConfigCenterClient(baseURL: settings.centerURL, httpClient: http)
        let follower = ConfigFollower(
            client: client, pool: pool, desk: desk, startingVersion: savedConfig?.version ?? 0,
            longPollSeconds: settings.longPollSeconds, logger: logger)
        let url = settings.advertisedURL ?? "http://\(settings.host):\(settings.port)"
        let reporter = Reporter(
            client: client, desk: desk, follower: follower, region: settings.region, url: url,
            interval: settings.reportInterval, logger: logger)
        return Application(
            router: UnitRoutes.router(desk: desk, pool: pool, region: settings.region, nowMs: nowMs),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "flashsale-unit"),
            services: [HTTPClientCloser(client: http), writer, follower, reporter],
            logger: logger)
    }
}
