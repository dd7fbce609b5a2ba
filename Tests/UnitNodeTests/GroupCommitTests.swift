// The desk and its group-commit writer without HTTP: orders share transactions, ids follow the log order, and every
// other write goes through the same writer, which tells the machine only what committed.

import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB
import Logging
import Testing
@testable import UnitNode

@Suite struct GroupCommitTests {
    /// The unit's parts as `UnitServer` wires them, on `unit`'s database with its sale loaded.
    private struct Parts {
        let pool: DatabasePool
        let machine: LockedMachine
        let writer: GroupCommitWriter
        let desk: PurchaseDesk

        init(_ unit: TestUnit, checkpointer: WALCheckpointer? = nil) async throws {
            pool = try UnitDatabase.open(path: unit.databasePath)
            let store = UnitStore(pool, checkpointer: checkpointer)
            machine = LockedMachine(UnitMachine(unit: NodeID(TestUnit.unitID)))
            writer = GroupCommitWriter(store: store, machine: machine, metrics: UnitMetrics(), logger: Logger(label: "test"))
            desk = PurchaseDesk(machine: machine, writer: writer, nowMs: unit.nowMs)
            let config = try #require(try await pool.read(UnitRecords.savedConfig))
            machine.apply(try await store.loaded(config.sales.map(\.terms), unit: NodeID(TestUnit.unitID)))
        }
    }

    @Test func concurrentOrdersShareTransactionsAndAreStoredInIdOrder() async throws {
        let stock: Int64 = 400
        let unit = try TestUnit(stock: stock)
        defer { unit.remove() }
        let parts = try await Parts(unit)
        let (writer, desk) = (parts.writer, parts.desk)

        let writing = Task { try await writer.run() }
        let outcomes = await withTaskGroup(of: PurchaseOutcome.self) { group in
            for index in 0..<600 {
                group.addTask { await desk.purchase(sale: TestUnit.saleID, user: "user-\(index)") }
            }
            return await group.reduce(into: [PurchaseOutcome]()) { $0.append($1) }
        }
        writing.cancel()

        let created = outcomes.compactMap { outcome -> Order? in
            if case .created(let order) = outcome { return order }
            return nil
        }
        #expect(created.count == Int(stock))
        #expect(outcomes.filter { $0 == .soldOut }.count == 600 - Int(stock))
        #expect(writer.largestBatchSize > 1, "orders arriving during a commit go into the next transaction together")
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == 0)
        #expect(desk.ownRows()[TestUnit.saleID]?.consumed == stock)

        // The log holds exactly the acknowledged orders. They went in in id order: the log is stored by position and
        // its append-only trigger refuses an order before the last, so one written out of order would have been
        // refused and its buyer not acknowledged.
        let stored = try await parts.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT stream_ms, stream_seq FROM orders ORDER BY stream_ms, stream_seq").map {
                OrderID(unit: NodeID(TestUnit.unitID), milliseconds: $0["stream_ms"], sequence: $0["stream_seq"])
            }
        }
        #expect(stored == created.map(\.id).sorted())
    }

    /// The names of this process's threads, as the kernel shows them.
    static func threadNames() -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        })
    }

    /// While the writer runs, its WAL is checkpointed by `WALCheckpointer` (attached by the writer's thread), and
    /// every order is still in SQLite afterwards.
    @Test func whileTheWriterRunsItsLogIsCheckpointedOffItsCommits() async throws {
        let stock: Int64 = 1_500
        let unit = try TestUnit(stock: stock)
        defer { unit.remove() }
        let checkpointer = WALCheckpointer(
            path: unit.databasePath, synchronous: .full, limits: .init(threshold: 50, tail: 10, ceiling: 100_000))
        let parts = try await Parts(unit, checkpointer: checkpointer)
        let (writer, desk) = (parts.writer, parts.desk)

        let writing = Task { try await writer.run() }
        let created = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<Int(stock) {
                group.addTask {
                    if case .created = await desk.purchase(sale: TestUnit.saleID, user: "user-\(index)") { return true }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        // The background's catch-up is counted when it ends: wait for it (bounded), before the writer detaches it.
        for _ in 0..<500 where checkpointer.counts.background == 0 { try await Task.sleep(for: .milliseconds(10)) }
        // Both threads carry their names, for `top -H` and profiles (Foundation on Linux drops a name set too early).
        #expect(Self.threadNames().isSuperset(of: ["group-commit", "wal-checkpoint"]), "\(Self.threadNames())")
        writing.cancel()
        _ = try? await writing.value

        #expect(created == Int(stock))
        #expect(checkpointer.counts.background > 0, "the writer's thread attached it: its hook woke the background")
        #expect(checkpointer.counts.forced == 0)
        let stored = try await parts.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") }
        #expect(stored == Int(stock))
    }

    /// A grant goes through the writer: the machine counts it as given only once it committed, and a grant SQLite
    /// refuses (beyond the unit's rights, as a stale machine might ask) gives its stock back; orders in the same batch
    /// are not sunk by it.
    @Test func grantsCountOnlyOnceCommittedAndARefusedOneGivesItsStockBack() async throws {
        let unit = try TestUnit(stock: 10)
        defer { unit.remove() }
        let parts = try await Parts(unit)
        let (writer, desk) = (parts.writer, parts.desk)
        let writing = Task { try await writer.run() }
        defer { writing.cancel() }
        let me = NodeID(TestUnit.unitID)
        let peer = NodeID("peer")

        let granter = RightsGranter(desk: desk, writer: writer, metrics: UnitMetrics(), logger: Logger(label: "test"))
        #expect(await granter.grant(4, of: TestUnit.saleID, to: peer))
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == 6)
        #expect(desk.ownRows()[TestUnit.saleID]?.grantedTo[peer] == 4)
        let written = try await parts.pool.read { db in try UnitRecords.ownRow(saleID: TestUnit.saleID, unit: me, db) }
        #expect(written.grantedTo[peer] == 4)

        // The machine sets 6 aside; SQLite is told of a total of 20 (as if the machine had believed more) and refuses.
        let total = try desk.reserveGrant(sale: TestUnit.saleID, amount: 6, to: peer)
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == 0)
        async let order = desk.purchase(sale: TestUnit.saleID, user: "buyer")
        await #expect(throws: (any Error).self) {
            try await writer.perform(abandoned: [.grantAbandoned(sale: TestUnit.saleID, amount: 6, to: peer)]) { db in
                try LedgerTables.merge(
                    LedgerRow(grantedTo: [peer: total + 10]), of: me, saleID: TestUnit.saleID, includeCounters: false, db)
                return ((), [.grantPersisted(sale: TestUnit.saleID, amount: 6, to: peer)])
            }
        }
        // The purchase raced the reservation: sold out then, or sold after the stock came back; never lost.
        let outcome = await order
        let sold = { if case .created = outcome { true } else { false } }()
        #expect(outcome == .soldOut || sold)
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == (sold ? 5 : 6), "the refused grant's stock is for sale again")
        #expect(desk.ownRows()[TestUnit.saleID]?.grantedTo[peer] == 4)
    }

    /// After shutdown the writer refuses new writes at once: an order is answered `notPersisted` and its stock comes
    /// back; a change throws and its abandoned events are applied.
    @Test func aClosedWriterRefusesWritesAndGivesTheirStockBack() async throws {
        let unit = try TestUnit(stock: 3)
        defer { unit.remove() }
        let parts = try await Parts(unit)
        let (writer, desk) = (parts.writer, parts.desk)
        let writing = Task { try await writer.run() }
        #expect({ if case .created = $0 { true } else { false } }(await desk.purchase(sale: TestUnit.saleID, user: "first")))
        writing.cancel()
        // Cancelled, `run` stops reading its doorbell, drains, and closes, as at a graceful shutdown.
        _ = await writing.result
        #expect(await desk.purchase(sale: TestUnit.saleID, user: "late") == .notPersisted)
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == 2, "the refused order's stock is for sale again")
        let reserved = try desk.reserveGrant(sale: TestUnit.saleID, amount: 2, to: "peer")
        #expect(reserved == 2)
        await #expect(throws: GroupCommitWriter.Closed.self) {
            try await writer.perform(abandoned: [.grantAbandoned(sale: TestUnit.saleID, amount: 2, to: "peer")]) { _ in
                ((), [UnitMachine.Event.grantPersisted(sale: TestUnit.saleID, amount: 2, to: "peer")])
            }
        }
        #expect(desk.snapshot(sale: TestUnit.saleID)?.available == 2)
    }
}
