// The config-center's state: every change is one SQLite transaction that also raises the config version.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB
import Synchronization

/// Regions, units, sales and the config-center's replica of every sale's rights ledger, in SQLite.
///
/// Each change runs in one write transaction (so a refused request changes nothing), raises the configuration
/// version when units must learn about it, and wakes the units' long-polls after the commit.
public final class CenterStore: Sendable {
    let pool: DatabasePool
    let watch: VersionWatch
    /// Moves on after every write and every pulse received, config or not: what a sale's live status follows.
    let changes = VersionWatch(version: 0)
    /// Milliseconds since the epoch; injected so tests control time.
    let nowMs: @Sendable () -> Int64
    /// The units' latest pulses by sale and unit: soft state, kept in memory only.
    let pulses = Mutex<[String: [NodeID: Pulse]]>([:])
    /// Milliseconds on a monotonic clock (`MonotonicTime`): when reports were heard, for retiring silent owners.
    let monotonicMs: @Sendable () -> Int64
    /// Each unit's last accepted report, for retiring silent owners (`OwnerRetirement`).
    let heard = HeardReports()
    /// Writes committed so far: the configuration as last rendered is good while no write came after it.
    private let writes = Atomic<UInt64>(0)
    /// The configuration's JSON as last rendered (or being rendered), and the count of writes it was read after.
    private let rendered = Mutex<(writes: UInt64, body: Task<Data, any Error>)?>(nil)
    /// Times the configuration was read and encoded (`configBody`), for the metrics and the tests.
    private let renders = Atomic<Int>(0)

    public init(
        pool: DatabasePool, nowMs: @escaping @Sendable () -> Int64 = { Date().millisecondsSince1970 },
        monotonicMs: @escaping @Sendable () -> Int64 = MonotonicTime.sinceStartMs
    ) throws {
        self.pool = pool
        self.nowMs = nowMs
        self.monotonicMs = monotonicMs
        let now = nowMs()
        try pool.write { db in try Self.ensureTokenKey(nowMs: now, db) }
        self.watch = VersionWatch(version: try pool.read(CenterQueries.configVersion))
    }

    /// Runs `change` in a write transaction; when it raised the version, wakes the long-polls after the commit.
    func write<T: Sendable>(_ change: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let now = nowMs()
        let (result, version) = try await pool.write { db in
            let result = try change(db)
            try SaleOwners.refresh(nowMs: now, db)
            return (result, try CenterQueries.configVersion(db))
        }
        writes.add(1, ordering: .sequentiallyConsistent)
        watch.publish(version)
        changes.advance()
        return result
    }

    // MARK: Configuration

    /// The configuration units run on, as of now.
    public func config() async throws -> ClusterConfig {
        try await pool.read { db in
            let owners = try SaleOwners.all(db)
            let retired = try SaleRetired.all(db)
            let sales = try CenterQueries.allSaleTerms(db).map { terms in
                let ledger = try LedgerTables.load(saleID: terms.id, db)
                return SaleConfig(
                    terms: terms, centerRow: ledger.row(.center), unitRows: ledger.rows.filter { $0.key != .center },
                    owners: owners[terms.id], retired: retired[terms.id])
            }
            return ClusterConfig(
                version: try CenterQueries.configVersion(db), regions: try CenterQueries.regions(db),
                units: try CenterQueries.units(db).map {
                    UnitSpec(id: $0.id, region: $0.region, url: $0.url, publicKey: $0.publicKey, previousPublicKey: $0.previousPublicKey)
                },
                sales: sales, buyerTokenKeys: try Self.tokenKeys(db), blacklist: try Self.blacklist(db),
                tokenIssuer: try Self.tokenIssuer(db))
        }
    }

    /// The configuration's JSON (`WireJSON`), once its version is above `after` or after `timeout` (0: now). Rendered
    /// once per state, not once per asker: when a change wakes every unit's long-poll at once, the first reads and
    /// encodes it and the others take the same bytes, while no write came in between.
    public func configBody(after: Int64 = 0, timeout: Duration = .zero) async throws -> Data {
        if timeout > .zero { await watch.wait(after: after, timeout: timeout) }
        let seen = writes.load(ordering: .sequentiallyConsistent)
        // One render per state, shared by every asker of that state, also while it is still being made.
        let rendering = rendered.withLock { current -> Task<Data, any Error> in
            if let current, current.writes == seen { return current.body }
            renders.add(1, ordering: .relaxed)
            let task = Task { try WireJSON.encoder.encode(try await self.config()) }
            if (current?.writes ?? 0) <= seen { current = (seen, task) }
            return task
        }
        do {
            return try await rendering.value
        } catch {
            // A failed render is not kept: the next asker tries again.
            rendered.withLock { current in if current?.writes == seen { current = nil } }
            throw error
        }
    }

    /// Times the configuration was rendered so far.
    public var configRenders: Int { renders.load(ordering: .relaxed) }

    // MARK: Regions and units

    public func upsertRegion(_ spec: RegionSpec) async throws -> RegionSpec {
        try Self.validate(spec)
        return try await write { db in
            try CenterQueries.upsertRegion(spec, db)
            return spec
        }
    }

    public func regions() async throws -> [RegionSpec] { try await pool.read(CenterQueries.regions) }

    public func upsertUnit(_ spec: UnitSpec) async throws -> UnitSpec {
        try Self.validate(spec)
        return try await write { db in
            try Self.upsertUnit(spec, db)
            return try CenterQueries.unit(spec.id, db) ?? spec
        }
    }

    /// Creates or updates a unit (an operator's enrolment: its URL and public key); a unit never moves to another
    /// region (its rights were granted for this one). Returns whether anything changed (and then raises the version).
    @discardableResult
    static func upsertUnit(_ spec: UnitSpec, _ db: Database) throws -> Bool {
        guard try CenterQueries.region(spec.region, db) != nil else { throw CenterError.unknownRegion(spec.region) }
        if let key = spec.publicKey,
            let holder = try String.fetchOne(db, sql: "SELECT id FROM unit WHERE public_key = ? AND id != ?", arguments: [key, spec.id])
        {
            throw CenterError.conflict("unit '\(holder)' has this public key; every unit has its own")
        }
        if let existing = try CenterQueries.unit(spec.id, db) {
            guard existing.region == spec.region else {
                throw CenterError.conflict("unit '\(spec.id)' belongs to region '\(existing.region)'")
            }
            let url = spec.url ?? existing.url
            let key = spec.publicKey ?? existing.publicKey
            guard url != existing.url || key != existing.publicKey else { return false }
            // A replaced key is kept as the previous one: the unit's own history (its row as peers kept it) was
            // signed with it. A unit enrolled anew after a withdrawal has none (`revokeUnitKey` clears it).
            let previous = key != existing.publicKey && existing.publicKey != nil ? existing.publicKey : existing.previousPublicKey
            try db.execute(
                sql: "UPDATE unit SET url = ?, public_key = ?, previous_public_key = ? WHERE id = ?",
                arguments: [url, key, previous, spec.id])
        } else {
            try db.execute(
                sql: "INSERT INTO unit (id, region_id, url, public_key) VALUES (?, ?, ?, ?)",
                arguments: [spec.id, spec.region, spec.url, spec.publicKey])
        }
        _ = try CenterQueries.bumpVersion(db)
        return true
    }

    public func units() async throws -> [UnitSpec] { try await pool.read(CenterQueries.units) }

    /// Withdraws unit `id`'s key (a unit that was compromised, or retired): from the next configuration its
    /// heartbeats, configuration requests and gossip are refused everywhere, as a unit that was never enrolled. Its
    /// previous key goes too: rows signed with a key that may be an attacker's are no history to take back. The
    /// rights it held stay in its row, unsold, until an operator enrols it again with a new key (`unit add
    /// --public-key`); the account (`report`) shows them at the unit.
    public func revokeUnitKey(_ id: String) async throws -> UnitSpec {
        try await write { db in
            guard let unit = try CenterQueries.unit(id, db) else { throw CenterError.unknownUnit(id) }
            if unit.publicKey != nil {
                try db.execute(sql: "UPDATE unit SET public_key = NULL, previous_public_key = NULL WHERE id = ?", arguments: [id])
                _ = try CenterQueries.bumpVersion(db)
            }
            return try CenterQueries.unit(id, db) ?? unit
        }
    }

    /// The public key unit `id` was enrolled with, or nil (no such unit, or not enrolled).
    public func enrolledKey(of id: String) async throws -> String? {
        guard IdentifierRule.isValidID(id) else { return nil }
        return try await pool.read { db in try CenterQueries.unit(id, db)?.publicKey }
    }

    /// An enrolled unit's heartbeat (its signature was checked by the route): records when it was seen, and merges
    /// its own ledger rows (a copy of what it has durably written) into the center's replica. It registers nothing
    /// and moves nothing: a unit's region and URL change only through an operator. Rows it passes on about other
    /// nodes (`knownRows`) are kept for enrolled units only, under their owners' signatures (`knownSignatures`).
    public func report(_ report: UnitReport) async throws -> UnitSpec {
        try Self.validate(UnitSpec(id: report.unit, region: report.region, url: report.url))
        try Self.validate(rows: report.sales, of: NodeID(report.unit))
        for (saleID, rows) in report.knownRows ?? [:] {
            for (node, row) in rows {
                guard node != .center, node.rawValue != report.unit else {
                    throw CenterError.invalidInput("sale '\(saleID)': known rows are other units' rows")
                }
                try Self.validate(rows: [saleID: row], of: node)
            }
        }
        let now = nowMs()
        let signed = try await signedKnownRows(of: report)
        let (spec, knownSales) = try await write { db in
            guard let enrolled = try CenterQueries.unit(report.unit, db) else { throw CenterError.unknownUnit(report.unit) }
            guard enrolled.region == report.region else {
                throw CenterError.conflict("unit '\(report.unit)' belongs to region '\(enrolled.region)'")
            }
            try db.execute(
                sql: "UPDATE unit SET last_seen_ms = ?, config_version = ? WHERE id = ?",
                arguments: [now, report.configVersion, report.unit])
            let unit = NodeID(report.unit)
            let members = Set(try CenterQueries.units(db).filter { $0.publicKey != nil }.map { NodeID($0.id) })
            for saleID in Set(report.sales.keys).union(signed.keys).sorted() where try CenterQueries.saleTerms(saleID, db) != nil {
                var ledger = try LedgerTables.load(saleID: saleID, db)
                let own = report.sales[saleID] ?? LedgerRow()
                // An honest unit grants only to members; a grant to any other node it has not made before would grow
                // the configuration every unit decodes (made-up ids, thousands of them) and is refused.
                let stranger = own.grantedTo.keys.first {
                    $0 != .center && !members.contains($0) && ledger.row(unit).grantedTo[$0] == nil
                }
                if let stranger { throw CenterError.invalidInput("sale '\(saleID)': '\(stranger)' is no enrolled unit") }
                // Known rows are taken together with the unit's own (two units that gave each other stock each look
                // over-granted without the other's row), by the same rule as gossip; own rows are checked just below.
                ledger.merge(own, of: unit)
                if let rows = signed[saleID] {
                    try LedgerTables.absorbSigned(rows.rows, signatures: rows.signatures, saleID: saleID, ledger: ledger, db)
                }
                try LedgerTables.merge(own, of: unit, saleID: saleID, db)
                // A unit holds only what it was granted (by the center, or by peers whose rows are known now): a
                // report that sold or gave away more than that is wrong, and storing it would let stock appear.
                let rights = try LedgerTables.load(saleID: saleID, db).rights(of: unit)
                guard rights >= 0 else {
                    throw CenterError.conflict("unit '\(unit)' reports more for sale '\(saleID)' than it was granted")
                }
            }
            let named = Set((report.pulses ?? [:]).keys).union((report.custody ?? [:]).keys)
            let known = try Set(named.filter { try CenterQueries.saleTerms($0, db) != nil })
            return (try CenterQueries.unit(report.unit, db) ?? UnitSpec(id: report.unit, region: report.region), known)
        }
        // Only pulses and custody of sales that exist are kept: any other sale id would grow these maps with every report.
        pulses.withLock { pulses in
            for (sale, pulse) in report.pulses ?? [:] where knownSales.contains(sale) && pulse.node.rawValue == report.unit {
                pulses[sale, default: [:]][pulse.node] = pulse
            }
        }
        // Stamped once taken, not when the bytes came: a queue at the config-center makes no unit look more silent.
        heard.record(
            unit: NodeID(report.unit), custody: (report.custody ?? [:]).filter { knownSales.contains($0.key) },
            atMs: monotonicMs())
        changes.advance()
        return spec
    }

    /// The other units' rows in `report` that their owners signed and that add to what the center knows, per sale:
    /// checked before the write transaction (a signature check takes about 0.1 ms; none of them holds the writer),
    /// and only for enrolled units (a ghost would grant stock never minted).
    private func signedKnownRows(
        of report: UnitReport
    ) async throws -> [String: (rows: [NodeID: LedgerRow], signatures: [NodeID: String])] {
        guard let knownRows = report.knownRows, !knownRows.isEmpty else { return [:] }
        return try await pool.read { db in
            let members = GossipMembers.keys(units: try CenterQueries.units(db))
            var signed: [String: (rows: [NodeID: LedgerRow], signatures: [NodeID: String])] = [:]
            for (saleID, rows) in knownRows where try CenterQueries.saleTerms(saleID, db) != nil {
                let ledger = try LedgerTables.load(saleID: saleID, db)
                let signatures = report.knownSignatures?[saleID] ?? [:]
                let fresh = rows.filter { node, row in
                    guard let key = members[node], !ledger.row(node).dominates(row) else { return false }
                    return RowSignature.isValid(signatures[node], row: row, of: node, sale: saleID, publicKey: key)
                }
                if !fresh.isEmpty { signed[saleID] = (fresh, signatures) }
            }
            return signed
        }
    }

    // MARK: Validation

    /// A unit's own rows: it mints nothing, its counters are in range and it returns no more than it sold.
    static func validate(rows: [String: LedgerRow], of unit: NodeID) throws {
        let range = 0...stockMax
        for (saleID, row) in rows {
            guard row.minted == 0 else { throw CenterError.invalidInput("sale '\(saleID)': only the config-center mints") }
            guard range.contains(row.consumed), range.contains(row.released), row.released <= row.consumed else {
                throw CenterError.invalidInput("sale '\(saleID)': consumed and released must be 0-\(stockMax), released <= consumed")
            }
            for (to, amount) in row.grantedTo {
                guard IdentifierRule.isValidID(to.rawValue), to != unit, range.contains(amount) else {
                    throw CenterError.invalidInput("sale '\(saleID)': grants go to another node, 0-\(stockMax) each")
                }
            }
        }
    }

    static func validate(_ spec: RegionSpec) throws {
        guard IdentifierRule.isValidID(spec.id) else { throw CenterError.invalidInput(Self.idRule("region id")) }
        if let endpoint = spec.endpoint { try validateURL(endpoint, what: "region endpoint") }
    }

    static func validate(_ spec: UnitSpec) throws {
        guard IdentifierRule.isValidID(spec.id), spec.id != NodeID.center.rawValue else {
            throw CenterError.invalidInput(Self.idRule("unit id") + ", and not 'center'")
        }
        guard IdentifierRule.isValidID(spec.region) else { throw CenterError.invalidInput(Self.idRule("region id")) }
        if let url = spec.url { try validateURL(url, what: "unit url") }
        if let key = spec.publicKey, NodeKey.publicKey(key) == nil {
            throw CenterError.invalidInput("a unit's public key is 64 hex digits (flashsale-unit key --data DIR prints it)")
        }
    }

    static func validateURL(_ text: String, what: String) throws {
        guard text.utf8.count <= 512, let url = URL(string: text), let scheme = url.scheme,
            scheme == "http" || scheme == "https", url.host != nil
        else { throw CenterError.invalidInput("\(what) must be an http(s) URL") }
    }

    static func idRule(_ what: String) -> String {
        "\(what) must be 1-\(IdentifierRule.idMaxLength) characters of a-z, 0-9 and '-', starting with a letter or digit"
    }
}
