// The group-commit writer: every order that arrives while a transaction commits goes into the next one.

import FlashSaleAPI
import FlashSaleCore
import GRDB
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Appends orders to the unit's SQLite log in batches, one transaction per batch, and resumes each waiting
/// purchase only after its order's commit. A batch that fails is retried one order at a time, so one bad order
/// cannot sink its neighbours. On shutdown it drains what is queued before returning.
final class GroupCommitWriter: Service, Sendable {
    struct Pending: Sendable {
        let order: Order
        let continuation: CheckedContinuation<PurchaseOutcome, Never>
    }

    private let pool: DatabasePool
    private let logger: Logger
    private let metrics: UnitMetrics
    private let queue = Mutex<[Pending]>([])
    private let rings: AsyncStream<Void>
    private let doorbell: AsyncStream<Void>.Continuation
    /// Orders in the largest batch committed so far (for tests and metrics).
    private let largestBatch = Atomic<Int>(0)
    /// Batches committed so far: the order stream's followers wait on it for new orders.
    let commits = VersionWatch(version: 0)
    private let committedBatches = Atomic<Int64>(0)

    init(pool: DatabasePool, metrics: UnitMetrics, logger: Logger) {
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `order`; its purchase resumes with `.created` once committed, `.notPersisted` if it cannot be.
    /// The purchase desk calls this while it holds its lock, so the queue is in order-id order.
    func enqueue(_ order: Order, continuation: CheckedContinuation<PurchaseOutcome, Never>) {
        queue.withLock { $0.append(Pending(order: order, continuation: continuation)) }
        doorbell.yield()
    }

    var largestBatchSize: Int { largestBatch.load(ordering: .relaxed) }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in rings { await drain() }
        } onGracefulShutdown: {
            self.doorbell.finish()
        }
        await drain()
        await commits.close()
    }

    private func drain() async {
        while true {
            let batch = queue.withLock { queue in
                let batch = queue
                queue.removeAll(keepingCapacity: true)
                return batch
            }
            if batch.isEmpty { return }
            await write(batch)
        }
    }

    private func write(_ batch: [Pending]) async {
        let orders = batch.map(\.order)
        let started = ContinuousClock.now
        do {
            try await pool.write { db in for order in orders { try UnitRecords.insert(order, db) } }
            metrics.commitSeconds.record(duration: started.duration(to: .now))
            metrics.batchOrders.record(batch.count)
            largestBatch.max(batch.count, ordering: .relaxed)
            for pending in batch { pending.continuation.resume(returning: .created(pending.order)) }
            await published()
        } catch {
            logger.warning("batch of \(batch.count) orders failed, writing them one by one", metadata: ["error": "\(error)"])
            for pending in batch {
                let order = pending.order
                do {
                    try await pool.write { db in try UnitRecords.insert(order, db) }
                    pending.continuation.resume(returning: .created(order))
                } catch {
                    logger.error(
                        "order not persisted", metadata: ["sale": "\(order.saleID)", "order": "\(order.id)", "error": "\(error)"])
                    pending.continuation.resume(returning: .notPersisted)
                }
            }
            await published()
        }
    }

    /// Tells the order stream's followers that new orders may be in SQLite.
    private func published() async {
        await commits.publish(committedBatches.add(1, ordering: .relaxed).newValue)
    }
}
