// Orders written and not yet told to their buyer: they wait for the buyer's guardian to accept a copy.

import FlashSaleCore
import Synchronization

/// The 201s held back after their commit because the buyer's guardian does not hold a copy of all their orders yet
/// (`Custody.isGuarded`). The courier sends the copies; each time a guardian accepts, `release` answers every order
/// whose buyer is now guarded. An order still waiting after `patience` is answered `custody-pending` (503, try again):
/// the buyer is not kept on the line while a guardian is down, and the order stays written, so a retry with the same
/// key gets it once the copy is accepted (or the order is cancelled if this unit is retired before that).
final class GuardianWait: Sendable {
    private struct Parked: Sendable {
        let order: Order
        let completion: GroupCommitWriter.OrderCompletion
        let deadline: ContinuousClock.Instant
    }

    static let patience = Duration.seconds(2)

    /// The orders waiting, or nil once the wait has finished (the unit is stopping).
    private let parked = Mutex<[Parked]?>([])
    private let bell: AsyncStream<Void>.Continuation
    /// Rung when an order is parked: the courier sends copies at once.
    let rings: AsyncStream<Void>

    init() { (rings, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1)) }

    var count: Int { parked.withLock { $0?.count ?? 0 } }

    /// Holds `order`'s answer until its buyer is guarded; answers `custody-pending` at once once the wait has finished.
    func park(_ order: Order, completion: @escaping GroupCommitWriter.OrderCompletion) {
        let held = parked.withLock { parked -> Bool in
            guard parked != nil else { return false }
            parked?.append(Parked(order: order, completion: completion, deadline: .now + Self.patience))
            return true
        }
        guard held else { return completion(.custodyPending) }
        bell.yield()
    }

    /// Answers the orders whose buyer is now guarded (`.created`), and those out of patience (`.custodyPending`);
    /// keeps the rest.
    func release(_ machine: LockedMachine) {
        let waiting = parked.withLock { parked in
            defer { if parked != nil { parked = [] } }
            return parked ?? []
        }
        guard !waiting.isEmpty else { return }
        let guarded = machine.withLock { machine in waiting.map { machine.isGuarded($0.order) } }
        let now = ContinuousClock.now
        var kept: [Parked] = []
        for (entry, isGuarded) in zip(waiting, guarded) {
            if isGuarded {
                entry.completion(.created(entry.order))
            } else if now >= entry.deadline {
                entry.completion(.custodyPending)
            } else {
                kept.append(entry)
            }
        }
        guard !kept.isEmpty else { return }
        let late = parked.withLock { parked -> [Parked] in
            guard parked != nil else { return kept }
            parked?.append(contentsOf: kept)
            return []
        }
        for entry in late { entry.completion(.custodyPending) }
    }

    /// Stops: every order still waiting is answered `custody-pending`.
    func finish() {
        let waiting = parked.withLock { parked in
            defer { parked = nil }
            return parked ?? []
        }
        for entry in waiting { entry.completion(.custodyPending) }
        bell.finish()
    }
}
