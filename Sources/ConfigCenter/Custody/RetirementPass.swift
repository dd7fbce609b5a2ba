// One pass of the config-center over its open sales: which silent owner to retire in each region, if any.

import FlashSaleCore

/// Applies `RetirementRule` to every region of every sale under way, from what the database holds (owners, units
/// retired) and what the config-center heard. Pure, so the store runs it once on a read to see whether there is
/// anything to do, and again inside the write transaction on the state as it is then (the retirements written are
/// those of the state they extend: each at the position the region's count had).
struct RetirementPass: Sendable {
    /// A sale's terms, owners and units retired (region to unit ids).
    struct Sale: Sendable {
        let terms: SaleTerms
        let owners: [String: [String]]
        let retired: [String: [String]]
    }

    /// One owner to retire: the `position`-th of its region (0 first), so the region's view becomes number
    /// `position + 1`.
    struct Retirement: Sendable, Equatable, CustomStringConvertible {
        let sale: String
        let region: String
        let unit: NodeID
        let position: Int

        var description: String { "sale \(sale) region \(region): \(unit) (view \(position + 1))" }
    }

    let rule: RetirementRule
    let heard: [NodeID: HeardReports.Entry]
    /// Since when the config-center has been awake, and now, in monotonic milliseconds.
    let awakeSinceMs: Int64
    let nowMs: Int64
    /// The wall clock, for the sales' phases (their terms are in wall time).
    let wallNowMs: Int64

    /// At most one retirement per sale and region: a view changes by one unit at a time, so every unit of the region
    /// goes through the same chain of views.
    func retirements(_ sales: [Sale]) -> [Retirement] {
        sales.filter { isUnderway($0.terms) }.flatMap(retirements(of:))
    }

    /// Started and not ended (paused included: its buyers come back when it resumes). Before the start nothing is
    /// owed and a unit may still be starting; after the end nobody buys.
    private func isUnderway(_ terms: SaleTerms) -> Bool {
        switch terms.phase(atMs: wallNowMs) {
        case .open, .paused: true
        case .scheduled, .ended: false
        }
    }

    private func retirements(of sale: Sale) -> [Retirement] {
        sale.owners.keys.sorted().compactMap { region in
            let owners = (sale.owners[region] ?? []).map { NodeID($0) }
            let retired = (sale.retired[region] ?? []).map { NodeID($0) }
            guard let view = CustodyView(owners: owners, retired: retired), view.members.count >= 2 else { return nil }
            let unit = rule.retiree(
                view: view, heard: heard.heard(sale: sale.terms.id, members: view.members), awakeSinceMs: awakeSinceMs,
                nowMs: nowMs)
            return unit.map { Retirement(sale: sale.terms.id, region: region, unit: $0, position: view.number) }
        }
    }
}
