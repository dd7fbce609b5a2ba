// A unit giving some of its stock rights away: to a peer (rebalancing) or back to the config-center (sale end).

import FlashSaleCore
import FlashSaleStorage
import Logging

/// Makes one grant of this unit's rights: set aside in the machine first (so no order takes the same stock), then
/// written by the group-commit writer to SQLite, whose counters refuse a grant beyond the unit's rights; the writer
/// tells the machine after the commit: it counts as given only once it is durable, and a write that failed gives the
/// stock back. Everything the unit tells others is read from SQLite, so a grant travels only once it is durable.
struct RightsGranter: Sendable {
    let desk: PurchaseDesk
    let writer: GroupCommitWriter
    let metrics: UnitMetrics
    let logger: Logger

    /// Returns whether the grant was made (durable).
    @discardableResult
    func grant(_ amount: Int64, of saleID: String, to node: NodeID) async -> Bool {
        let unit = desk.unit
        let total: Int64
        do {
            total = try desk.reserveGrant(sale: saleID, amount: amount, to: node)
        } catch {
            // Recovering (it does not know yet what it holds), or the stock went to buyers meanwhile.
            logger.debug("grant not reserved", metadata: ["sale": "\(saleID)", "to": "\(node)", "error": "\(error)"])
            return false
        }
        do {
            try await writer.perform(abandoned: [.grantAbandoned(sale: saleID, amount: amount, to: node)]) { db in
                try LedgerTables.merge(LedgerRow(grantedTo: [node: total]), of: unit, saleID: saleID, includeCounters: false, db)
                return ((), [.grantPersisted(sale: saleID, amount: amount, to: node)])
            }
        } catch {
            logger.error("grant not written: its stock is for sale here again", metadata: ["sale": "\(saleID)", "to": "\(node)", "error": "\(error)"])
            return false
        }
        metrics.granted(amount, to: node)
        logger.info("granted stock", metadata: ["sale": "\(saleID)", "to": "\(node)", "amount": "\(amount)"])
        return true
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
