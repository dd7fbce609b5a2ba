// Live counters of the run, shared by the workers and the progress bar.

import Synchronization

/// Lock-free counters: the next buyer to start, and what the progress bar shows. The full record of the run is
/// kept per worker in `CrowdResult`; these are only for watching it.
final class CrowdCounters: Sendable {
    private let next = Atomic<Int>(0)
    let buyersDone = Atomic<Int>(0)
    let orders = Atomic<Int>(0)
    let requests = Atomic<Int>(0)

    /// The index of the next buyer to start, or nil once all `total` have been handed out.
    func takeBuyer(below total: Int) -> Int? {
        let index = next.add(1, ordering: .relaxed).oldValue
        return index < total ? index : nil
    }
}
