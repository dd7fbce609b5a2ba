// Turns an operator's per-region request into grants from the config-center to units.

/// Plans grants from the config-center to units. Pure: the caller passes the cluster's regions and units and
/// what the center holds, and applies the resulting grants to the ledger.
public struct AllocationPlanner: Sendable {
    /// Units of each region, by region id.
    public let unitsByRegion: [String: [NodeID]]

    public init(unitsByRegion: [String: [NodeID]]) {
        self.unitsByRegion = unitsByRegion.mapValues { $0.sorted() }
    }

    /// Amount per unit for `request`, taking at most `available` (the center's rights).
    /// Percentages are of `available`; rounding remainders go to the largest fractions, so 100% hands out
    /// everything. A region's amount is split evenly over its units, the first units (by id) taking the rest.
    public func grants(for request: AllocationRequest, available: Int64) throws(AllocationError) -> [NodeID: Int64] {
        let perRegion = try regionAmounts(for: request, available: available)
        guard let requested = Self.sum(perRegion.values) else { throw .exceedsStock(requested: .max, available: available) }
        guard requested <= available else { throw .exceedsStock(requested: requested, available: available) }
        var result: [NodeID: Int64] = [:]
        for (region, amount) in perRegion where amount > 0 {
            for (unit, share) in Self.split(amount, over: units(of: region)) where share > 0 {
                result[unit, default: 0] += share
            }
        }
        return result
    }

    /// Grants that bring each region up to a declared total (`regionTargets`) given what its units were already
    /// granted (`currentByRegion`); the difference is split over the region's units. A declarative file applied
    /// twice grants nothing the second time, and a unit added to a region later shares only in new stock.
    public func topUp(
        to regionTargets: [String: Int64], current currentByRegion: [String: Int64]
    ) throws(AllocationError) -> [NodeID: Int64] {
        var result: [NodeID: Int64] = [:]
        for (region, target) in regionTargets {
            try checkRegion(region)
            let already = currentByRegion[region] ?? 0
            if target < already { throw .belowCurrent(region: region, current: already, target: target) }
            for (unit, share) in Self.split(target - already, over: units(of: region)) where share > 0 {
                result[unit, default: 0] += share
            }
        }
        return result
    }

    /// The sum of `amounts`, or nil if it does not fit in Int64 (amounts come from operators' input).
    public static func sum(_ amounts: some Sequence<Int64>) -> Int64? {
        var total: Int64 = 0
        for amount in amounts {
            let (next, overflow) = total.addingReportingOverflow(amount)
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// `amount` split over `units` as evenly as possible, earlier units taking the remainder.
    public static func split(_ amount: Int64, over units: [NodeID]) -> [(NodeID, Int64)] {
        guard !units.isEmpty else { return [] }
        let count = Int64(units.count)
        let base = amount / count
        let rest = amount % count
        return units.enumerated().map { index, unit in (unit, base + (Int64(index) < rest ? 1 : 0)) }
    }

    private func units(of region: String) -> [NodeID] { unitsByRegion[region] ?? [] }

    /// Amount per region for `request`; percentages are of `available`.
    public func regionAmounts(for request: AllocationRequest, available: Int64) throws(AllocationError) -> [String: Int64] {
        switch request {
        case .counts(let counts):
            guard !counts.isEmpty else { throw .empty }
            for (region, amount) in counts {
                try checkRegion(region)
                if amount < 0 { throw .negativeAmount(region: region) }
            }
            return counts
        case .percentages(let percentages):
            guard !percentages.isEmpty else { throw .empty }
            for (region, percent) in percentages {
                try checkRegion(region)
                if percent < 0 { throw .negativeAmount(region: region) }
            }
            if let tooLarge = percentages.values.first(where: { $0 > 100 }) { throw .percentagesOutOfRange(total: tooLarge) }
            let total = percentages.values.reduce(0, +)  // at most 100 per region: cannot overflow
            guard total > 0, total <= 100 else { throw .percentagesOutOfRange(total: total) }
            return Self.largestRemainder(percentages, of: max(available, 0), total: total)
        }
    }

    private func checkRegion(_ region: String) throws(AllocationError) {
        guard let units = unitsByRegion[region] else { throw .unknownRegion(region) }
        guard !units.isEmpty else { throw .regionWithoutUnits(region) }
    }

    /// Whole amounts proportional to `percentages` of `stock`; when they add up to 100 the amounts add up to
    /// `stock` exactly (the units lost to rounding go to the largest fractions, ties by region id).
    private static func largestRemainder(_ percentages: [String: Int], of stock: Int64, total: Int) -> [String: Int64] {
        let shares = percentages.map { region, percent in
            (region: region, whole: stock * Int64(percent) / 100, fraction: stock * Int64(percent) % 100)
        }
        var amounts = Dictionary(uniqueKeysWithValues: shares.map { ($0.region, $0.whole) })
        guard total == 100 else { return amounts }
        var left = stock - amounts.values.reduce(0, +)
        for share in shares.sorted(by: { ($0.fraction, $1.region) > ($1.fraction, $0.region) }) where left > 0 {
            amounts[share.region, default: 0] += 1
            left -= 1
        }
        return amounts
    }
}
