// Expires reserved orders whose payment window has closed, and puts their stock back on sale.

import FlashSaleCore
import Logging
import Metrics
import ServiceLifecycle

/// Every `interval`, moves each sale's overdue reserved orders to `expired` in SQLite (whose trigger counts them
/// as released), through the group-commit writer, which hands their stock back to the machine after the commit. Time comes from the orders' ids and the sale's window,
/// both durable, so expiry resumes after a restart; paid orders are never touched.
final class ExpirySweeper: Service, Sendable {
    /// Orders expired per sale per transaction: bounds the time the writer is held.
    static let batchMax = 500

    private let desk: PurchaseDesk
    private let writer: GroupCommitWriter
    private let interval: Duration
    private let nowMs: @Sendable () -> Int64
    private let metrics: UnitMetrics
    private let logger: Logger

    init(
        desk: PurchaseDesk, writer: GroupCommitWriter, interval: Duration, nowMs: @escaping @Sendable () -> Int64,
        metrics: UnitMetrics, logger: Logger
    ) {
        self.desk = desk
        self.metrics = metrics
        self.writer = writer
        self.interval = interval
        self.nowMs = nowMs
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sweep()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One pass over every sale; returns the number of orders expired.
    @discardableResult
    func sweep() async -> Int {
        guard !desk.isRecovering else { return 0 }
        let now = nowMs()
        var total = 0
        for terms in desk.saleTerms() {
            while true {
                do {
                    let expired = try await writer.perform { db in
                        let expired = try UnitRecords.expire(terms, nowMs: now, limit: Self.batchMax, db)
                        return (expired, [.released(sale: terms.id, orders: expired)])
                    }
                    total += expired.count
                    metrics.ordersExpired.increment(by: expired.count)
                    if !expired.isEmpty {
                        logger.info("orders expired unpaid", metadata: ["sale": "\(terms.id)", "count": "\(expired.count)"])
                    }
                    if expired.count < Self.batchMax { break }
                } catch {
                    logger.error("cannot expire orders; trying again", metadata: ["sale": "\(terms.id)", "error": "\(error)"])
                    break
                }
            }
        }
        return total
    }
}
