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
    /// This unit's last ask for each sale's stock (its clock), for the rule's spacing and for `Retry-After`.
    private let asked = Mutex<[String: PullRule.Ask]>([:])

    init(rule: PullRule) {
        self.rule = rule
        wants = Doorbell()
        needs = Doorbell()
    }

    func wantStock() { wants.ring() }
    func heardNeed() { needs.ring() }

    func lastAsk(sale: String) -> PullRule.Ask? { asked.withLock { $0[sale] } }
    func noteAsk(sale: String, _ ask: PullRule.Ask) { asked.withLock { $0[sale] = ask } }

    /// Whether stock is likely on its way for `sale`: an ask went out within the last second to a peer that had shown
    /// stock, or a buyer's ring is not answered yet and the last ask (if any) was to such a peer. The second case is a
    /// gossiper behind its doorbell (a crowd, a loaded machine): the ask is about to be decided, and its buyers would
    /// otherwise hear "later" only because it had not run yet.
    func isUnderway(sale: String, nowMs: Int64) -> Bool {
        let last = lastAsk(sale: sale)
        if let last, nowMs >= last.atMs, nowMs - last.atMs < 1_000 { return last.promising }
        return wants.isRinging && last?.promising != false
    }
}
