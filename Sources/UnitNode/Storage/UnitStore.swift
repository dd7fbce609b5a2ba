// The unit's database as one store: the reads services make, and the one door writes go through.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import GRDB

/// The unit's SQLite database, in the style of GRDB's `AppDatabase`: no service holds a connection. Reads are
/// methods here, each one transaction over the SQL in `UnitRecords`. Writes that change what the unit's machine
/// knows (orders, grants, merges, payments, expiries, configurations, recovery) go through `GroupCommitWriter`, the
/// only caller of `write` once the unit runs: it tells the machine what each transaction made durable after the
/// commit, so the rule "durable before visible" lives in one place.
struct UnitStore: Sendable {
    private let database: any DatabaseWriter
    /// Takes the WAL's checkpoints off the writer's commits while `GroupCommitWriter` runs; none for a database
    /// without a file (SQLite's own then).
    private let checkpointer: WALCheckpointer?

    init(_ database: any DatabaseWriter, checkpointer: WALCheckpointer? = nil) {
        self.database = database
        self.checkpointer = checkpointer
    }

    /// Opens (or creates) the unit's database at `path` and brings its schema up to date (`UnitDatabase`).
    static func open(path: String, synchronous: SynchronousMode) throws -> UnitStore {
        UnitStore(
            try UnitDatabase.open(path: path, synchronous: synchronous),
            checkpointer: WALCheckpointer(path: path, synchronous: synchronous))
    }

    /// Runs `updates` in one transaction. For `GroupCommitWriter` and for startup, before the writer runs.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.write(updates)
    }

    /// `write`, on the calling thread, blocking it until the commit: for `GroupCommitWriter`'s own thread only (GRDB
    /// runs it there, under its writer's lock, with no hop to another thread and back). Never from an event loop or a
    /// task.
    func writeBlocking<T>(_ updates: (Database) throws -> T) throws -> T {
        try database.write(updates)
    }

    /// For `GroupCommitWriter`'s thread, as it starts: from now on the WAL is checkpointed in the background.
    func attachCheckpointer() throws {
        guard let checkpointer else { return }
        try database.writeWithoutTransaction { db in try checkpointer.attach(db) }
    }

    /// For `GroupCommitWriter`'s thread, as it ends: SQLite checkpoints by itself again.
    func detachCheckpointer() {
        guard let checkpointer else { return }
        database.writeWithoutTransaction { db in checkpointer.detach(db) }
    }

    /// How many checkpoints the background made, and the writer (`WALCheckpointer.Counts`); nil without one.
    var checkpoints: WALCheckpointer.Counts? { checkpointer?.counts }

    // MARK: Startup

    /// Claims the database for `unit` (`UnitRecords.claim`): whether the unit must recover its row first (a new
    /// database: it may have sold before, with one it lost; or a recovery that had not finished), the configuration
    /// it last saved, and the newest order id, so ids continue after it.
    func claim(unit: NodeID, region: String) async throws -> (recovering: Bool, savedConfig: ClusterConfig?, lastOrderID: OrderID?) {
        try await database.write { db in
            let recovering = try UnitRecords.claim(unit: unit, region: region, db)
            return (recovering, try UnitRecords.savedConfig(db), try UnitRecords.lastOrderID(unit: unit, db))
        }
    }

    /// The custody of `config`'s sales in `region` as the disk has it (`UnitRecords.custodyEvents`).
    func custodyEvents(_ config: ClusterConfig, unit: NodeID, region: String) async throws -> [UnitMachine.Event] {
        try await database.read { db in try UnitRecords.custodyEvents(config, unit: unit, region: region, db) }
    }

    /// `sales` as the disk has them, as `.loaded` events (`UnitRecords.loaded`).
    func loaded(_ sales: [SaleTerms], unit: NodeID, known: Set<String> = []) async throws -> [UnitMachine.Event] {
        try await database.read { db in try UnitRecords.loaded(sales, unit: unit, known: known, db) }
    }

    // MARK: Orders

    func order(_ id: OrderID) async throws -> Order? {
        try await database.read { db in try UnitRecords.order(id, db) }
    }

    /// Up to `count` orders after `after`, in log order (`UnitRecords.orders(after:count:)`).
    func orders(after: OrderID?, count: Int) async throws -> [Order] {
        try await database.read { db in try UnitRecords.orders(after: after, count: count, db) }
    }

    // MARK: What the unit tells others

    /// Per sale (in the order given): this unit's own row as SQLite counts it, the other nodes' rows as their owners
    /// signed them, and the config-center's witness kept; what gossip and heartbeats carry. Never memory alone: the
    /// unit's counters and grants are durable before anyone can learn them.
    func rowsToTell(sales: [String], unit: NodeID) async throws -> [RowsToTell] {
        try await database.read { db in
            try sales.map { sale in
                RowsToTell(
                    sale: sale, own: try UnitRecords.ledger(saleID: sale, unit: unit, db).row(unit),
                    copies: try LedgerTables.signedCopies(saleID: sale, db), witness: try UnitRecords.witness(saleID: sale, db))
            }
        }
    }

    /// One sale's rows as `rowsToTell` reads them.
    struct RowsToTell: Sendable {
        let sale: String
        let own: LedgerRow
        let copies: [NodeID: (row: LedgerRow, signature: String)]
        let witness: (witness: GrantWitness, signature: String)?
    }
}
