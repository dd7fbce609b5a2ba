// The group-commit writer: every write that arrives while a transaction commits goes into the next one.

import Dispatch
import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB
import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The unit's one writer. Orders, and every other change to what the unit's machine knows (grants, other nodes'
/// rows, payments, cancellations, expiries, configurations, recovery), queue here and are written in batches, one
/// transaction per batch. After the commit the machine is told what became durable (`UnitMachine.Event`), in one
/// acquisition of its lock for the whole batch, and only then is each waiting caller resumed: a buyer hears `201`,
/// a grant is counted as given, a merged row can be sold from. A batch that fails is retried one write at a time, so
/// one bad write cannot sink its neighbours; a write that still fails tells the machine it was abandoned. On shutdown
/// (or when the service's task is cancelled) it drains what is queued, then refuses new writes.
///
/// It writes on a thread of its own, which sleeps while nothing is queued: a batch is taken, written and committed
/// (GRDB runs the transaction on the calling thread), and its callers resumed there, with no hop through Swift
/// concurrency or another queue on the way. On a loaded unit that thread and the event loops share the cores, and
/// every hop was a wake-up and a context switch per batch.
final class GroupCommitWriter: Service, Sendable {
    /// A write other than an order.
    struct Change: Sendable {
        /// Runs inside the batch's transaction (and again alone if the batch fails): the events the machine learns
        /// once it commits, and how to resume its caller then.
        let write: @Sendable (Database) throws -> (events: [UnitMachine.Event], resume: @Sendable () -> Void)
        /// What the machine learns if it cannot be written.
        let abandoned: [UnitMachine.Event]
        let fail: @Sendable (any Error) -> Void
    }

    /// Hears how an order ended: `.created` once committed, `.notPersisted` if it could not be. Called on the
    /// writer's thread, once.
    typealias OrderCompletion = @Sendable (PurchaseOutcome) -> Void

    private enum Pending: Sendable {
        case order(Order, OrderCompletion)
        case change(Change)
    }

    /// A pending write that went into a transaction, waiting for its commit.
    private enum Written: Sendable {
        case order(Order, OrderCompletion)
        case change(events: [UnitMachine.Event], resume: @Sendable () -> Void)
    }

    /// Why a write was not made: the unit is shutting down and the writer has drained.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the unit is shutting down: no more writes" }
    }

    private let store: UnitStore
    private let machine: LockedMachine
    /// Where a committed order waits when its buyer's guardian lacks a copy (`Custody`), instead of hearing 201.
    private let guardianWait: GuardianWait?
    private let logger: Logger
    private let metrics: UnitMetrics
    private struct Queue {
        var pending: [Pending] = []
        /// Writes are refused: the writer drained and ended.
        var closed = false
        /// The writer's thread sleeps on `bell` (or is about to): the next write rings it.
        var asleep = false
        /// The writer is asked to end: it drains what is queued, then closes.
        var stopping = false

        /// Whether the writer sleeps and needs ringing; it is counted awake from here, so only one caller rings.
        mutating func wake() -> Bool {
            defer { asleep = false }
            return asleep
        }
    }

    private let queue = Mutex(Queue())
    /// The writer wakes at least this often to look at its queue, rung or not.
    private static let longestSleepMilliseconds = 20
    private let bell = DispatchSemaphore(value: 0)
    /// Orders in the largest batch committed so far (for tests and metrics).
    private let largestBatch = Atomic<Int>(0)
    /// Batches committed so far: the order stream's followers wait on it for new orders.
    let commits = VersionWatch(version: 0)

    init(store: UnitStore, machine: LockedMachine, metrics: UnitMetrics, logger: Logger, guardianWait: GuardianWait? = nil) {
        self.store = store
        self.machine = machine
        self.guardianWait = guardianWait
        self.metrics = metrics
        self.logger = logger
    }

    /// Queues `order`; `completion` hears `.created` once it is committed, `.notPersisted` if it cannot be. Returns
    /// false, queueing nothing, once the writer has closed. The purchase desk calls this while it holds the machine's
    /// lock, so the queue is in order-id order.
    func enqueue(_ order: Order, completion: @escaping OrderCompletion) -> Bool {
        queued(.order(order, completion))
    }

    /// Runs `write` in the next transaction and returns its value once committed, after the machine has applied the
    /// events it returned. If it cannot be written, the machine applies `abandoned` and this throws.
    func perform<T: Sendable>(
        abandoned: [UnitMachine.Event] = [], _ write: @escaping @Sendable (Database) throws -> (T, [UnitMachine.Event])
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let change = Change(
                write: { db in
                    let (value, events) = try write(db)
                    return (events, { continuation.resume(returning: value) })
                },
                abandoned: abandoned, fail: { continuation.resume(throwing: $0) })
            if !queued(.change(change)) {
                machine.apply(abandoned)
                continuation.resume(throwing: Closed())
            }
        }
    }

    /// Appends `pending` and rings the writer if it sleeps; false, queueing nothing, once the writer has closed.
    ///
    /// On an event loop the ring waits for the end of the loop's turn: the loop handles every request one wake-up
    /// brought before it runs its tasks, so the orders that came together go into one transaction. Rung at once, the
    /// writer took the CPU from the loop after the first order and wrote it alone: four batches in five held one order,
    /// each paying a whole commit (BENCHMARKS.md).
    private func queued(_ pending: Pending) -> Bool {
        let ring = queue.withLock { queue -> Bool? in
            if queue.closed { return nil }
            queue.pending.append(pending)
            return queue.wake()
        }
        guard let ring else { return false }
        if ring {
            if let loop = MultiThreadedEventLoopGroup.currentEventLoop {
                loop.execute { [bell] in bell.signal() }
            } else {
                bell.signal()
            }
        }
        return true
    }

    var largestBatchSize: Int { largestBatch.load(ordering: .relaxed) }

    /// Starts the writer's thread and returns once it has drained and closed, after a graceful shutdown or the
    /// cancellation of this task.
    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (ended: CheckedContinuation<Void, Never>) in
                    NamedThread.start("group-commit") { [self] in
                        loop()
                        ended.resume()
                    }
                }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        commits.close()
    }

    /// Asks the writer's thread to drain and close.
    private func stop() {
        let ring = queue.withLock { queue in
            queue.stopping = true
            return queue.wake()
        }
        if ring { bell.signal() }
    }

    /// The writer's thread: writes what is queued, batch after batch, sleeping while nothing is; once asked to stop
    /// and drained, refuses what comes later, but writes what raced in before the flag.
    private func loop() {
        do {
            try store.attachCheckpointer()
        } catch {
            logger.warning("WAL checkpoints stay in the commits", metadata: ["error": "\(error)"])
        }
        defer { store.detachCheckpointer() }
        while true {
            let (batch, stop) = queue.withLock { queue -> ([Pending], Bool) in
                if queue.pending.isEmpty {
                    if queue.stopping { return ([], true) }
                    queue.asleep = true
                    return ([], false)
                }
                defer { queue.pending.removeAll(keepingCapacity: true) }
                return (queue.pending, false)
            }
            if stop { break }
            if batch.isEmpty {
                // A ring left to an event loop that never ran it (shut down) costs at most this long.
                _ = bell.wait(timeout: .now() + .milliseconds(Self.longestSleepMilliseconds))
            } else {
                write(batch)
            }
        }
        let late = queue.withLock { queue in
            queue.closed = true
            defer { queue.pending.removeAll() }
            return queue.pending
        }
        if !late.isEmpty { write(late) }
    }

    private func write(_ batch: [Pending]) {
        let started = ContinuousClock.now
        let orders = batch.reduce(0) { if case .order = $1 { $0 + 1 } else { $0 } }
        do {
            let written = try store.writeBlocking { db in try batch.map { try Self.write($0, db) } }
            if orders > 0 {
                metrics.commitSeconds.record(duration: started.duration(to: .now))
                metrics.batchOrders.record(orders)
                largestBatch.max(orders, ordering: .relaxed)
            }
            committed(written)
        } catch {
            logger.warning("batch of \(batch.count) writes failed, writing them one by one", metadata: ["error": "\(error)"])
            for pending in batch {
                do {
                    committed([try store.writeBlocking { db in try Self.write(pending, db) }])
                } catch {
                    abandon(pending, error)
                }
            }
        }
        // The order stream's followers: new orders may be in SQLite.
        if orders > 0 { commits.advance() }
    }

    private static func write(_ pending: Pending, _ db: Database) throws -> Written {
        switch pending {
        case .order(let order, let completion):
            try OrderRecord(order).insert(db)
            return .order(order, completion)
        case .change(let change):
            let (events, resume) = try change.write(db)
            return .change(events: events, resume: resume)
        }
    }

    /// The machine learns what `written` made durable, under one lock; then every caller is resumed, but a buyer
    /// whose guardian lacks a copy of their orders waits for it (`GuardianWait`).
    private func committed(_ written: [Written]) {
        let unguarded = machine.withLock { machine -> Set<OrderID> in
            var unguarded: Set<OrderID> = []
            // Orders count in a run between two changes, in the order they were written.
            var orders: [Order] = []
            for entry in written {
                switch entry {
                case .order(let order, _): orders.append(order)
                case .change(let events, _):
                    machine.persisted(orders)
                    orders.removeAll(keepingCapacity: true)
                    for event in events { machine.apply(event) }
                }
            }
            machine.persisted(orders)
            for entry in written {
                if case .order(let order, _) = entry, !machine.isGuarded(order) { unguarded.insert(order.id) }
            }
            return unguarded
        }
        for entry in written {
            switch entry {
            case .order(let order, let completion):
                if !unguarded.contains(order.id) {
                    completion(.created(order))
                } else if let guardianWait {
                    guardianWait.park(order, completion: completion)
                } else {
                    // Nobody to wait with: the buyer is not told of an order its guardian lacks.
                    completion(.custodyPending)
                }
            case .change(_, let resume): resume()
            }
        }
    }

    private func abandon(_ pending: Pending, _ error: any Error) {
        switch pending {
        case .order(let order, let completion):
            logger.error("order not persisted", metadata: ["sale": "\(order.saleID)", "order": "\(order.id)", "error": "\(error)"])
            machine.withLock { $0.notPersisted(order) }
            completion(.notPersisted)
        case .change(let change):
            logger.error("write not made", metadata: ["error": "\(error)"])
            machine.apply(change.abandoned)
            change.fail(error)
        }
    }
}
