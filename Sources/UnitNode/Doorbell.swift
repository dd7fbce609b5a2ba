// A cheap signal from a hot path to a service's loop: raised many times, answered once.

import Synchronization

/// A flag and a stream. `ring` is one atomic exchange, and yields to the stream only when the flag was down; the
/// listener lowers it (`answer`) before it acts, so a ring is never lost and never queued twice. The purchase path
/// rings (a buyer told "try again", a purchase held) without paying for a queue per request.
final class Doorbell: Sendable {
    private let raised = Atomic<Bool>(false)
    let rings: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (rings, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func ring() {
        if !raised.exchange(true, ordering: .acquiringAndReleasing) { continuation.yield() }
    }

    /// Whether a ring is not answered yet: the listener has not come to it.
    var isRinging: Bool { raised.load(ordering: .acquiring) }

    /// Lowers the flag: a ring after this rings again. An exchange, not a store, so that what the listener reads
    /// next is ordered after it (a release store alone would let those reads move before it, and a ring be missed).
    func answer() { _ = raised.exchange(false, ordering: .acquiringAndReleasing) }
}
