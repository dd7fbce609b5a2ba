// Helpers shared by the FlashSaleCore tests: small fixtures (the seeded generator is TestSupport's `SplitMix64`).

import FlashSaleCore
import TestSupport

enum Fixture {
    static let units: [NodeID] = ["u-1", "u-2", "u-3"]

    /// A ledger where the center minted `minted` and granted `grants` to units.
    static func ledger(minted: Int64, grants: [NodeID: Int64] = [:]) throws -> RightsLedger {
        var ledger = RightsLedger()
        try ledger.mint(minted, by: .center)
        for (unit, amount) in grants.sorted(by: { $0.key < $1.key }) {
            try ledger.grant(amount, from: .center, to: unit)
        }
        return ledger
    }

    /// A random row whose grant entries are all positive (as `grant` makes them).
    static func randomRow(_ rng: inout SplitMix64, owner: NodeID, nodes: [NodeID], max: Int64 = 20) -> LedgerRow {
        var row = LedgerRow()
        if owner == .center || rng.chance(20) { row.minted = rng.int64(0...max) }
        for node in nodes where node != owner && rng.chance(60) {
            row.grantedTo[node] = rng.int64(1...max)
        }
        row.consumed = rng.int64(0...max)
        row.released = rng.int64(0...row.consumed)
        return row
    }

    /// A random ledger over `nodes`; each row is present with probability 70%.
    static func randomLedger(_ rng: inout SplitMix64, nodes: [NodeID]) -> RightsLedger {
        var ledger = RightsLedger()
        for node in nodes where rng.chance(70) {
            ledger.merge(randomRow(&rng, owner: node, nodes: nodes), of: node)
        }
        return ledger
    }
}

extension SplitMix64 {
    /// The elements of `items` in a random order.
    mutating func shuffled<T>(_ items: [T]) -> [T] { items.shuffled(using: &self) }
}
