// The desk and its group-commit writer without HTTP: orders share transactions, ids follow the log order.

import FlashSaleCore
import Foundation
import GRDB
import Logging
import Testing
@testable import UnitNode

@Suite struct GroupCommitTests {
    @Test func concurrentOrdersShareTransactionsAndAreStoredInIdOrder() async throws {
        let stock: Int64 = 400
        let unit = try TestUnit(stock: stock)
        defer { unit.remove() }
        let pool = try UnitDatabase.open(path: unit.databasePath)
        let writer = GroupCommitWriter(pool: pool, metrics: UnitMetrics(), logger: Logger(label: "test"))
        let desk = PurchaseDesk(unit: NodeID(TestUnit.unitID), lastOrderID: nil, writer: writer, nowMs: unit.nowMs)
        let config = try #require(try await pool.read(UnitRecords.savedConfig))
        try await UnitStartup.loadSales(config.sales.map(\.terms), into: desk, from: pool)

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

        // The log holds exactly the acknowledged orders, in id order.
        let stored = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, stream_ms, stream_seq FROM orders ORDER BY rowid").map { row -> OrderID in
                OrderID(unit: NodeID(TestUnit.unitID), milliseconds: row["stream_ms"], sequence: row["stream_seq"])
            }
        }
        #expect(Set(stored) == Set(created.map(\.id)))
        #expect(stored == stored.sorted())
    }
}
