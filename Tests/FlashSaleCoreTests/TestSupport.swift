// Helpers shared by the FlashSaleCore tests: a seeded generator and small fixtures.

import FlashSaleCore

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so every random test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &self) }
    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

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
