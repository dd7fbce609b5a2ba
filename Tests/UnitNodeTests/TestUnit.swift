// A unit node on loopback with a seeded configuration, for tests that need no config-center.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Logging
@testable import UnitNode

/// A temporary data directory holding a unit whose saved configuration grants it `stock` of one sale, as if it
/// had once followed a config-center (which the tests leave unreachable).
struct TestUnit {
    static let unitID = "eu-west-1"
    static let region = "eu-west"
    static let saleID = "phone"

    let directory: String
    let nowMs: @Sendable () -> Int64

    /// A cluster secret: the unit gossips (with `peers`, which have no URL, so only they can call it).
    let clusterSecret: String?
    let expiryInterval: Duration
    /// Load balancers whose X-Forwarded-For the unit believes.
    var trustedProxies: TrustedProxies = .none

    /// What fulfilment consumers present to read the order log (`Authorization: Bearer`).
    static let ordersCredential = "orders-credential-for-the-tests"
    /// The payment provider's webhook secret.
    static let webhookSecret = "payment-webhook-secret-for-the-tests"

    /// A second sale, for tests that need two.
    static let otherSaleID = "tablet"
    /// Another region, with an endpoint, for buyers who reach the wrong region.
    static let otherRegion = RegionSpec(id: "us-east", endpoint: "http://us-east.example")

    init(stock: Int64, perUserLimit: Int = 1, startsAtMs: Int64? = nil, endsAtMs: Int64? = nil,
         peers: [String] = [], clusterSecret: String? = nil, admission: AdmissionRules? = nil,
         tokenKeys: [BuyerTokenKey] = [], tokenIssuer: TokenIssuer? = nil, blacklist: [String] = [], paymentWindowMs: Int64? = nil,
         otherAdmission: AdmissionRules? = nil, owners: [String]? = nil,
         expiryInterval: Duration = .milliseconds(50),
         nowMs: @escaping @Sendable () -> Int64 = { Date().millisecondsSince1970 }) throws {
        self.clusterSecret = clusterSecret
        self.expiryInterval = expiryInterval
        directory = TestRun.folder + "/unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.nowMs = nowMs
        let now = nowMs()
        let terms = SaleTerms(
            id: Self.saleID, title: "Phone", startsAtMs: startsAtMs ?? now - 1000, endsAtMs: endsAtMs ?? now + 3_600_000,
            perUserLimit: perUserLimit, admission: admission, paymentWindowMs: paymentWindowMs)
        var other = terms
        other.id = Self.otherSaleID
        other.admission = otherAdmission
        let config = ClusterConfig(
            version: 1, regions: [RegionSpec(id: Self.region), Self.otherRegion],
            // Peers get a URL only when the unit does not gossip, so it never tries to reach them.
            // Every unit is enrolled with its test key (`TestKeys`), so a test can gossip as any of them.
            units: ([Self.unitID] + peers).map {
                UnitSpec(
                    id: $0, region: Self.region, url: clusterSecret == nil ? "http://\($0).example" : nil,
                    publicKey: TestKeys.key($0).publicKey)
            }
                + [UnitSpec(
                    id: "us-east-1", region: Self.otherRegion.id, url: "http://us-east-1.example",
                    publicKey: TestKeys.key("us-east-1").publicKey)],
            sales: [terms, other].map { terms in
                SaleConfig(
                    terms: terms, centerRow: LedgerRow(minted: stock, grantedTo: [NodeID(Self.unitID): stock]),
                    owners: owners.map { [Self.region: $0] })
            },
            buyerTokenKeys: tokenKeys, blacklist: blacklist, tokenIssuer: tokenIssuer)
        // The config-center's key, as if pinned at first contact: a test can gossip as the center with its test key.
        try Data(TestKeys.key(NodeID.center.rawValue).publicKey.utf8).write(to: URL(fileURLWithPath: directory + "/center.pub"))
        let pool = try UnitDatabase.open(path: databasePath)
        try pool.write { db in
            try UnitRecords.claim(unit: NodeID(Self.unitID), region: Self.region, db)
            // A unit that has sold from this database before: nothing to recover.
            try UnitRecords.finishedRecovering(db)
            try UnitRecords.save(config, db)
        }
    }

    var databasePath: String { directory + "/unit.sqlite" }

    var settings: UnitSettings {
        // Port 1 on loopback: nothing listens, so the unit runs on its saved configuration. The test client keeps one
        // connection for the whole test, idle while a test works through other clients (a herd over 128 connections
        // once took two minutes on a loaded machine): the default 60 s idle timeout would close it under the test.
        // Likewise a request whose body the unit refuses unread: on a 2-core machine running every suite at once, its
        // answer once took more than the default 10 s request timeout, and the connection closed unanswered.
        // The timeouts themselves are tested in ConnectionGuardTests.
        UnitSettings(
            unit: Self.unitID, region: Self.region, port: 0, dataDirectory: directory, centerURL: "http://127.0.0.1:1",
            reportInterval: .seconds(60), clusterSecret: clusterSecret, gossipInterval: .seconds(60),
            expiryInterval: expiryInterval,
            connectionLimits: ConnectionLimits(requestTimeout: .seconds(120), idleTimeout: .seconds(600)),
            ordersCredential: Self.ordersCredential, paymentWebhookSecret: Self.webhookSecret, trustedProxies: trustedProxies)
    }

    func application() async throws -> some ApplicationProtocol {
        var logger = Logger(label: "unit-test")
        logger.logLevel = .critical
        return try await UnitServer.application(settings: settings, logger: logger, nowMs: nowMs)
    }

    /// Runs `body` against the unit served on a real loopback port.
    func withLiveUnit(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application().testLive { client in try await body(client) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Counts in the unit's database, read directly.
    func stored() throws -> (orders: Int, sold: Int64, received: Int64) {
        let queue = try DatabaseQueue(path: databasePath)
        return try queue.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE status IN ('reserved', 'paid')") ?? -1,
                try Int64.fetchOne(db, sql: "SELECT sold FROM unit_stock WHERE sale_id = ?", arguments: [Self.saleID]) ?? -1,
                try Int64.fetchOne(db, sql: "SELECT received FROM unit_stock WHERE sale_id = ?", arguments: [Self.saleID]) ?? -1
            )
        }
    }
}

extension TestUnit {
    /// The config-center's row of the test sale once it has also given `peers` rights of their own (minted for
    /// them): what a peer must have been given, as far as the unit knows, before its grants to the unit are believed.
    static func centerRow(stock: Int64, giving peers: [NodeID: Int64]) -> LedgerRow {
        LedgerRow(
            minted: stock + peers.values.reduce(0, +),
            grantedTo: peers.merging([NodeID(unitID): stock], uniquingKeysWith: +))
    }

    /// The headers of a fulfilment consumer reading the order log.
    static let consumer: HTTPFields = [.authorization: "Bearer \(ordersCredential)"]

    /// The payment provider's signed callback for `order` (its time `nowMs`, or a moment ago), or one signed with
    /// `secret` instead of the unit's webhook secret.
    static func payment(
        _ order: String, body: String = "", atMs nowMs: Int64 = Date().millisecondsSince1970, secret: String = webhookSecret
    ) -> HTTPFields {
        [PaymentCallback.header: PaymentCallback.signature(
            secret: secret, path: "/v1/orders/\(order)/pay", body: Data(body.utf8), unixSeconds: nowMs / 1000)]
    }

    /// The header that carries an order's secret.
    static func orderSecret(_ secret: String?) -> HTTPFields { [OrderAccess.secretHeader: secret ?? ""] }
}

extension TestResponse {
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try WireJSON.decoder.decode(T.self, from: Data(buffer: body))
    }
}
