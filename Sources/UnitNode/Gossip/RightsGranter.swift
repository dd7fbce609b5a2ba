// A unit giving some of its stock rights away: to a peer (rebalancing) or back to the config-center (sale end).

import FlashSaleCore
import FlashSaleStorage
import GRDB
import Logging

/// Makes one grant of this unit's rights: reserved in memory first (so no order takes the same stock), then
/// written to SQLite, whose counters refuse a grant beyond the unit's rights. Everything the unit tells others
/// is read from SQLite, so a grant travels only once it is durable.
struct RightsGranter: Sendable {
    let desk: PurchaseDesk
    let pool: DatabasePool
    let metrics: UnitMetrics
    let logger: Logger

    /// Returns whether the grant was made (durable).
    @discardableResult
    func grant(_ amount: Int64, of saleID: String, to node: NodeID) async -> Bool {
        // A recovering unit does not know yet how much it really holds: it gives nothing until it does.
        guard !desk.isRecovering else { return false }
        let unit = desk.unit
        do {
            try desk.reserveGrant(sale: saleID, amount: amount, to: node)
            guard let total = desk.ownRows()[saleID]?.grantedTo[node] else { return false }
            try await pool.write { db in
                try LedgerTables.merge(LedgerRow(grantedTo: [node: total]), of: unit, saleID: saleID, includeCounters: false, db)
            }
            metrics.granted(amount, to: node)
            logger.info("granted stock", metadata: ["sale": "\(saleID)", "to": "\(node)", "amount": "\(amount)"])
            return true
        } catch {
            // Reserved in memory but not written: the stock stays unsold here until a restart rebuilds the desk
            // from SQLite. Never oversold, and never told to anyone (reports and gossip read SQLite).
            logger.error("grant not made", metadata: ["sale": "\(saleID)", "to": "\(node)", "error": "\(error)"])
            return false
        }
    }

    /// After a sale's end, everything this unit can still sell goes back to the config-center. Called again on
    /// every tick: rights that arrive late (a grant still travelling at the end) go back too.
    func returnUnsold(nowMs: Int64) async {
        for terms in desk.saleTerms() where terms.phase(atMs: nowMs) == .ended {
            guard let available = desk.snapshot(sale: terms.id)?.available, available > 0 else { continue }
            await grant(available, of: terms.id, to: .center)
        }
    }
}
