// What the purchase path and the gossip route tell the gossiper between rounds: this unit is dry, a peer is.

import FlashSaleCore
import Synchronization

/// The doorbells of demand-driven pulls (`PullRule`, docs/ARCHITECTURE.md "Gossip and rebalancing"), shared by the
/// purchase path, the gossip route and the `Gossiper`, which answers them at once rather than at its next round:
///
/// - `wantStock()`: a buyer here was told "try again" (this unit is dry while others hold rights). The gossiper then
///   checks `PullRule.shouldAsk` and sends this unit's pulse to the likeliest donors.
/// - `heardNeed()`: a peer's message carried a needy pulse. The gossiper then runs the rebalancing policy now.
///
/// Both are on hot paths, so each is one atomic exchange; the bell rings only when the flag was down, and the
/// gossiper lowers it before it acts, so a ring is never lost and never queued twice.
final class StockPulls: Sendable {
    let rule: PullRule
    let wants: Doorbell
    let needs: Doorbell
    /// When this unit last asked for each sale's stock (its clock), for the rule's spacing and for `Retry-After`.
    private let asked = Mutex<[String: Int64]>([:])

    init(rule: PullRule) {
        self.rule = rule
        wants = Doorbell()
        needs = Doorbell()
    }

    func wantStock() { wants.ring() }
    func heardNeed() { needs.ring() }

    func lastAsk(sale: String) -> Int64? { asked.withLock { $0[sale] } }
    func noteAsk(sale: String, atMs nowMs: Int64) { asked.withLock { $0[sale] = nowMs } }

    /// Whether an ask for `sale` went out within the last second: stock is on its way, or about to be refused.
    func isUnderway(sale: String, nowMs: Int64) -> Bool {
        guard let last = lastAsk(sale: sale) else { return false }
        return nowMs >= last && nowMs - last < 1_000
    }
}
