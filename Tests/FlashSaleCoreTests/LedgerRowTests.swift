// LedgerRow: pointwise-max merge and the dominance order.

import FlashSaleCore
import Foundation
import Testing
import TestSupport

@Suite("LedgerRow")
struct LedgerRowTests {
    @Test("held is consumed minus released; grantedTotal sums every grant")
    func derivedValues() {
        let row = LedgerRow(minted: 7, grantedTo: ["u-1": 3, "u-2": 4], consumed: 9, released: 2)
        #expect(row.held == 7)
        #expect(row.grantedTotal == 7)
        #expect(LedgerRow().grantedTotal == 0)
        #expect(LedgerRow().held == 0)
    }

    @Test("merged takes the larger value of every entry, grant by grant")
    func mergedIsPointwiseMax() {
        let a = LedgerRow(minted: 10, grantedTo: ["u-1": 5, "u-2": 1], consumed: 3, released: 0)
        let b = LedgerRow(minted: 4, grantedTo: ["u-2": 6, "u-3": 2], consumed: 8, released: 1)
        let expected = LedgerRow(minted: 10, grantedTo: ["u-1": 5, "u-2": 6, "u-3": 2], consumed: 8, released: 1)
        #expect(a.merged(with: b) == expected)
        #expect(b.merged(with: a) == expected)
        #expect(a.merged(with: a) == a)
        #expect(a.merged(with: LedgerRow()) == a)
        #expect(LedgerRow().merged(with: a) == a)
    }

    @Test("dominates compares every entry, including grants the other row lacks")
    func dominatesExamples() {
        let big = LedgerRow(minted: 10, grantedTo: ["u-1": 5, "u-2": 1], consumed: 3, released: 1)
        #expect(big.dominates(big))
        #expect(big.dominates(LedgerRow()))
        #expect(!LedgerRow().dominates(big))
        #expect(big.dominates(LedgerRow(minted: 10, grantedTo: ["u-1": 5], consumed: 3, released: 1)))
        // One entry larger on the other side is enough to break dominance.
        #expect(!big.dominates(LedgerRow(minted: 11, grantedTo: ["u-1": 5, "u-2": 1], consumed: 3, released: 1)))
        #expect(!big.dominates(LedgerRow(minted: 10, grantedTo: ["u-1": 6, "u-2": 1], consumed: 3, released: 1)))
        #expect(!big.dominates(LedgerRow(minted: 10, grantedTo: ["u-1": 5, "u-2": 1], consumed: 4, released: 1)))
        #expect(!big.dominates(LedgerRow(minted: 10, grantedTo: ["u-1": 5, "u-2": 1], consumed: 3, released: 2)))
        // A grant to a node this row never granted to.
        #expect(!big.dominates(LedgerRow(grantedTo: ["u-3": 1])))
        // A zero entry is "at most" the missing entry (0).
        #expect(big.dominates(LedgerRow(grantedTo: ["u-3": 0])))
    }

    @Test("random rows: merged dominates both, and a row dominates exactly what merging leaves unchanged")
    func randomMergeAndDominance() {
        let nodes: [NodeID] = [.center] + Fixture.units
        var rng = SplitMix64(seed: 0xDEC0DE)
        for round in 0..<500 {
            let a = Fixture.randomRow(&rng, owner: "u-1", nodes: nodes, max: 6)
            let b = Fixture.randomRow(&rng, owner: "u-1", nodes: nodes, max: 6)
            let c = Fixture.randomRow(&rng, owner: "u-1", nodes: nodes, max: 6)
            let ab = a.merged(with: b)
            #expect(ab.dominates(a) && ab.dominates(b), "round \(round)")
            #expect(ab == b.merged(with: a), "round \(round)")
            #expect(ab.merged(with: c) == a.merged(with: b.merged(with: c)), "round \(round)")
            #expect(ab.merged(with: b) == ab, "round \(round)")
            // Grant entries are all positive here, so dominance is exactly "merging changes nothing".
            #expect(a.dominates(b) == (a.merged(with: b) == a), "round \(round)")
            // merged is the least upper bound: anything dominating both dominates it.
            if c.dominates(a) && c.dominates(b) { #expect(c.dominates(ab), "round \(round)") }
        }
    }

    @Test("rows survive a JSON round trip with node ids as object keys")
    func codable() throws {
        let row = LedgerRow(minted: 3, grantedTo: ["eu-west-1": 2], consumed: 1, released: 1)
        let data = try JSONEncoder().encode(row)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"eu-west-1\":2"))
        #expect(try JSONDecoder().decode(LedgerRow.self, from: data) == row)
    }
}
