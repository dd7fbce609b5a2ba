// Purchases that would hear "try again" wait a moment instead, while stock is on its way.

import ServiceLifecycle
import Synchronization

/// Holds purchases refused only because this unit is dry while others hold stock (`.rebalancing`), for at most
/// `holdMs` (300 ms), instead of answering 503 at once (issue 16). The unit has asked for stock (`StockPulls`); a
/// donor's grant lands within a few exchanges, and a held buyer is then decided again and most never see a retry.
///
/// Each held purchase is a `Retry`. Every `sweepEvery` the hold retries, in arrival order, as many purchases of each
/// sale as it has stock here again, or all of them once the sale's answer no longer waits for stock (sold out
/// everywhere, paused, ended) (`last: false`: a purchase refused again is held again, until its own deadline;
/// one returned order does not wake ten thousand buyers to compete for it), and
/// the purchases whose time ran out (`last: true`: their answer is final). At most `capacity` are held: past it a
/// buyer is answered at once, so a crowd cannot make the unit keep unbounded state. Nothing is held across I/O: a
/// retry is one decision under the machine's lock.
final class StockHold: Service, Sendable {
    /// How a held purchase ended, for `flashsale_purchase_holds_total`.
    enum Ending: String, CaseIterable, Sendable {
        /// Stock came (an order), or another answer did (sold out everywhere, the limit reached by another request).
        case served
        /// The time ran out: 503 with `Retry-After`.
        case timedOut = "timed-out"
        /// Not held: the hold was full, or the unit shutting down.
        case full
    }

    /// Decides the held purchase again; `last` when its time ran out (or the unit stops): it must answer then.
    typealias Retry = @Sendable (_ last: Bool) -> Void

    private struct Held {
        let sale: String
        let deadlineMs: Int64
        let retry: Retry
    }

    let holdMs: Int64
    let capacity: Int
    static let sweepEvery = Duration.milliseconds(10)
    private let state = Mutex<(held: [Held], closed: Bool)>(([], false))
    private let bell = Doorbell()
    private let stock: @Sendable (String) -> Int64
    /// Milliseconds on a clock that never jumps: a wall clock set back an hour must not hold a buyer an hour.
    private let clockMs: @Sendable () -> Int64

    /// `stock` says how many held purchases of a sale to decide again now (`UnitMachine.heldRetries`: its stock
    /// here, or `Int64.max` when no stock is awaited any more); `clockMs` is monotonic.
    init(
        holdMs: Int64 = 300, capacity: Int = 10_000, stock: @escaping @Sendable (String) -> Int64,
        clockMs: @escaping @Sendable () -> Int64 = StockHold.monotonicMs
    ) {
        precondition(holdMs > 0 && capacity > 0)
        self.holdMs = holdMs
        self.capacity = capacity
        self.stock = stock
        self.clockMs = clockMs
    }

    /// The deadline of a purchase held from now, on the hold's clock.
    func deadline() -> Int64 { clockMs() + holdMs }

    private static let origin = ContinuousClock.now

    /// Milliseconds since the process first asked, on the continuous (monotonic) clock.
    static func monotonicMs() -> Int64 { (ContinuousClock.now - origin).milliseconds }

    /// Holds `retry` for `sale` until stock comes or `deadlineMs` (from `deadline()`). False, holding nothing, when
    /// full or stopped: the caller answers now.
    func hold(sale: String, deadlineMs: Int64, retry: @escaping Retry) -> Bool {
        let held = state.withLock { state in
            guard !state.closed, state.held.count < capacity else { return false }
            state.held.append(Held(sale: sale, deadlineMs: deadlineMs, retry: retry))
            return true
        }
        if held { bell.ring() }
        return held
    }

    var count: Int { state.withLock { $0.held.count } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.bell.rings {
                self.bell.answer()
                while self.count > 0, !Task.isCancelled {
                    try? await Task.sleep(for: Self.sweepEvery)
                    self.sweep()
                }
            }
        }
        // Stopping: every held purchase is answered now, and nothing more is held.
        let left = state.withLock { state in
            state.closed = true
            defer { state.held = [] }
            return state.held
        }
        for held in left { held.retry(true) }
    }

    /// Retries, in arrival order, as many held purchases of each sale as it has stock, and answers those whose time
    /// ran out.
    func sweep() {
        let now = clockMs()
        let sales = state.withLock { Set($0.held.map(\.sale)) }
        var stocked = Dictionary(uniqueKeysWithValues: sales.map { ($0, stock($0)) })
        let due = state.withLock { state -> [(Held, last: Bool)] in
            var due: [(Held, last: Bool)] = []
            state.held.removeAll { held in
                if held.deadlineMs <= now {
                    due.append((held, true))
                    return true
                }
                guard let left = stocked[held.sale], left > 0 else { return false }
                stocked[held.sale] = left - 1
                due.append((held, false))
                return true
            }
            return due
        }
        for (held, last) in due { held.retry(last) }
    }
}
