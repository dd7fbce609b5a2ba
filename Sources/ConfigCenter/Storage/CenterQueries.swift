// Reads of the config-center database shared by its writes and its snapshots.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB

/// Plain SQL reads of regions, units and sales; every function runs inside the caller's transaction.
enum CenterQueries {
    static func configVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT config_version FROM meta WHERE id = 1") ?? 0
    }

    /// Raises the configuration version; every change units must see calls this once in its transaction.
    static func bumpVersion(_ db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE meta SET config_version = config_version + 1 WHERE id = 1")
        return try configVersion(db)
    }

    static func regions(_ db: Database) throws -> [RegionSpec] {
        try Row.fetchAll(db, sql: "SELECT id, endpoint FROM region ORDER BY id").map {
            RegionSpec(id: $0["id"], endpoint: $0["endpoint"])
        }
    }

    static func region(_ id: String, _ db: Database) throws -> RegionSpec? {
        try Row.fetchOne(db, sql: "SELECT id, endpoint FROM region WHERE id = ?", arguments: [id]).map {
            RegionSpec(id: $0["id"], endpoint: $0["endpoint"])
        }
    }

    /// Creates or updates a region; returns whether anything changed (and then raises the version).
    @discardableResult
    static func upsertRegion(_ spec: RegionSpec, _ db: Database) throws -> Bool {
        guard try region(spec.id, db) != spec else { return false }
        try db.execute(
            sql: "INSERT INTO region (id, endpoint) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint",
            arguments: [spec.id, spec.endpoint])
        _ = try bumpVersion(db)
        return true
    }

    static func units(_ db: Database) throws -> [UnitSpec] {
        try Row.fetchAll(db, sql: "SELECT id, region_id, url, last_seen_ms, public_key, previous_public_key FROM unit ORDER BY id").map(unitSpec)
    }

    static func unit(_ id: String, _ db: Database) throws -> UnitSpec? {
        try Row.fetchOne(db, sql: "SELECT id, region_id, url, last_seen_ms, public_key, previous_public_key FROM unit WHERE id = ?", arguments: [id])
            .map(unitSpec)
    }

    private static func unitSpec(_ row: Row) -> UnitSpec {
        let lastSeen: Int64? = row["last_seen_ms"]
        return UnitSpec(
            id: row["id"], region: row["region_id"], url: row["url"], lastSeen: lastSeen.map(Date.init(millisecondsSince1970:)),
            publicKey: row["public_key"], previousPublicKey: row["previous_public_key"])
    }

    /// Unit ids by region, for the allocation planner; regions without units map to an empty list.
    static func unitsByRegion(_ db: Database) throws -> [String: [NodeID]] {
        var result: [String: [NodeID]] = [:]
        for region in try regions(db) { result[region.id] = [] }
        for unit in try units(db) { result[unit.region, default: []].append(NodeID(unit.id)) }
        return result
    }

    static func saleTerms(_ id: String, _ db: Database) throws -> SaleTerms? {
        try Row.fetchOne(
            db, sql: "SELECT id, title, starts_at_ms, ends_at_ms, per_user_limit, admission, payment_window_ms, paused FROM sale WHERE id = ?", arguments: [id]
        ).map(saleTerms)
    }

    static func allSaleTerms(_ db: Database) throws -> [SaleTerms] {
        try Row.fetchAll(db, sql: "SELECT id, title, starts_at_ms, ends_at_ms, per_user_limit, admission, payment_window_ms, paused FROM sale ORDER BY id")
            .map(saleTerms)
    }

    private static func saleTerms(_ row: Row) throws -> SaleTerms {
        let admission = try (row["admission"] as String?).map {
            try WireJSON.decoder.decode(AdmissionRules.self, from: Data($0.utf8))
        }
        var terms = SaleTerms(
            id: row["id"], title: row["title"], startsAtMs: row["starts_at_ms"], endsAtMs: row["ends_at_ms"],
            perUserLimit: row["per_user_limit"], admission: admission, paymentWindowMs: row["payment_window_ms"])
        terms.paused = (row["paused"] as Bool) ? true : nil
        return terms
    }

    static func requireSale(_ id: String, _ db: Database) throws -> SaleTerms {
        guard let terms = try saleTerms(id, db) else { throw CenterError.unknownSale(id) }
        return terms
    }

    static func writeTerms(_ terms: SaleTerms, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sale (id, title, starts_at_ms, ends_at_ms, per_user_limit, admission, payment_window_ms, paused)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at_ms = excluded.starts_at_ms,
                    ends_at_ms = excluded.ends_at_ms, per_user_limit = excluded.per_user_limit,
                    admission = excluded.admission, payment_window_ms = excluded.payment_window_ms,
                    paused = excluded.paused
                """,
            arguments: [
                terms.id, terms.title, terms.startsAtMs, terms.endsAtMs, terms.perUserLimit,
                try terms.admission.map { String(decoding: try WireJSON.encoder.encode($0), as: UTF8.self) },
                terms.paymentWindowMs, terms.paused == true,
            ])
    }
}
