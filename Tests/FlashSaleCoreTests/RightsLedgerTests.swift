// RightsLedger: minting, granting, consuming, releasing, and the rights formula.

import FlashSaleCore
import Foundation
import Testing

@Suite("RightsLedger operations")
struct RightsLedgerTests {
    @Test("an empty ledger gives every node zero rights")
    func emptyLedger() {
        let ledger = RightsLedger()
        #expect(ledger.rights(of: .center) == 0)
        #expect(ledger.rights(of: "u-1") == 0)
        #expect(ledger.totalMinted == 0)
        #expect(ledger.totalHeld == 0)
        #expect(ledger.nodes.isEmpty)
        #expect(ledger.row("u-1") == LedgerRow())
    }

    @Test("only the center mints, and minting adds to its rights")
    func mintByCenter() throws {
        var ledger = RightsLedger()
        try ledger.mint(100, by: .center)
        try ledger.mint(20, by: .center)
        #expect(ledger.rights(of: .center) == 120)
        #expect(ledger.row(.center).minted == 120)
        #expect(ledger.totalMinted == 120)
        #expect(ledger.nodes == [.center])
    }

    @Test("a unit cannot mint; the ledger is unchanged", arguments: ["u-1", "centre", "Center"] as [NodeID])
    func mintByUnitRefused(node: NodeID) throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 4])
        let before = ledger
        #expect(throws: LedgerError.onlyCenterMints(node)) { try ledger.mint(5, by: node) }
        #expect(ledger == before)
        #expect(ledger.totalMinted == 10)
    }

    @Test("amounts must be positive for every operation", arguments: [0, -1, Int64.min] as [Int64])
    func nonPositiveAmounts(amount: Int64) throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 4])
        try ledger.consume(2, at: "u-1")
        let before = ledger
        #expect(throws: LedgerError.amountNotPositive(amount)) { try ledger.mint(amount, by: .center) }
        #expect(throws: LedgerError.amountNotPositive(amount)) { try ledger.grant(amount, from: .center, to: "u-2") }
        #expect(throws: LedgerError.amountNotPositive(amount)) { try ledger.consume(amount, at: "u-1") }
        #expect(throws: LedgerError.amountNotPositive(amount)) { try ledger.release(amount, at: "u-1") }
        // The amount check comes before the minter check.
        #expect(throws: LedgerError.amountNotPositive(amount)) { try ledger.mint(amount, by: "u-1") }
        #expect(ledger == before)
    }

    @Test("a grant moves rights from the giver to the receiver")
    func grantMovesRights() throws {
        var ledger = try Fixture.ledger(minted: 100)
        try ledger.grant(30, from: .center, to: "u-1")
        try ledger.grant(10, from: .center, to: "u-1")
        try ledger.grant(25, from: .center, to: "u-2")
        #expect(ledger.rights(of: .center) == 35)
        #expect(ledger.rights(of: "u-1") == 40)
        #expect(ledger.rights(of: "u-2") == 25)
        #expect(ledger.row(.center).grantedTo == ["u-1": 40, "u-2": 25])
        #expect(ledger.received(by: "u-1") == 40)
        #expect(ledger.totalMinted == 100)
        // Only the center has a row: the grantees appear through it.
        #expect(Set(ledger.rows.keys) == [.center])
        #expect(ledger.nodes == [.center, "u-1", "u-2"])

        // A unit grants on what it received, and can give back to the center.
        try ledger.grant(15, from: "u-1", to: "u-2")
        try ledger.grant(5, from: "u-2", to: .center)
        #expect(ledger.rights(of: "u-1") == 25)
        #expect(ledger.rights(of: "u-2") == 35)
        #expect(ledger.rights(of: .center) == 40)
        #expect(ledger.received(by: "u-2") == 40)
        #expect(ledger.received(by: .center) == 5)
    }

    @Test("a grant of exactly all rights is allowed and leaves zero")
    func grantEverything() throws {
        var ledger = try Fixture.ledger(minted: 7)
        try ledger.grant(7, from: .center, to: "u-1")
        #expect(ledger.rights(of: .center) == 0)
        try ledger.grant(7, from: "u-1", to: "u-2")
        #expect(ledger.rights(of: "u-1") == 0)
        #expect(ledger.rights(of: "u-2") == 7)
    }

    @Test("a grant beyond the giver's rights is refused and changes nothing")
    func grantTooMuch() throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 6])
        let before = ledger
        #expect(throws: LedgerError.insufficientRights(node: .center, held: 4, wanted: 5)) {
            try ledger.grant(5, from: .center, to: "u-2")
        }
        #expect(throws: LedgerError.insufficientRights(node: "u-1", held: 6, wanted: 7)) {
            try ledger.grant(7, from: "u-1", to: "u-2")
        }
        #expect(throws: LedgerError.insufficientRights(node: "u-9", held: 0, wanted: 1)) {
            try ledger.grant(1, from: "u-9", to: "u-2")
        }
        #expect(ledger == before)
        #expect(ledger.rights(of: .center) == 4)
        #expect(ledger.rights(of: "u-1") == 6)
        #expect(ledger.rights(of: "u-2") == 0)
    }

    @Test("a node cannot grant to itself")
    func grantToSelf() throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 6])
        let before = ledger
        #expect(throws: LedgerError.grantToSelf("u-1")) { try ledger.grant(1, from: "u-1", to: "u-1") }
        #expect(throws: LedgerError.grantToSelf(.center)) { try ledger.grant(1, from: .center, to: .center) }
        #expect(ledger == before)
    }

    @Test("consuming spends rights; consuming past them is refused and changes nothing")
    func consume() throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 6])
        try ledger.consume(2, at: "u-1")
        try ledger.consume(4, at: "u-1")
        #expect(ledger.rights(of: "u-1") == 0)
        #expect(ledger.row("u-1").consumed == 6)
        #expect(ledger.totalHeld == 6)
        let before = ledger
        #expect(throws: LedgerError.insufficientRights(node: "u-1", held: 0, wanted: 1)) {
            try ledger.consume(1, at: "u-1")
        }
        #expect(throws: LedgerError.insufficientRights(node: .center, held: 4, wanted: 5)) {
            try ledger.consume(5, at: .center)
        }
        #expect(throws: LedgerError.insufficientRights(node: "u-2", held: 0, wanted: 1)) {
            try ledger.consume(1, at: "u-2")
        }
        #expect(ledger == before)
        // The center may sell directly from its own rights.
        try ledger.consume(4, at: .center)
        #expect(ledger.rights(of: .center) == 0)
        #expect(ledger.totalHeld == 10)
    }

    @Test("releasing returns sold units to the seller's rights, never more than it holds")
    func release() throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 6])
        try ledger.consume(5, at: "u-1")
        try ledger.release(2, at: "u-1")
        #expect(ledger.rights(of: "u-1") == 3)
        #expect(ledger.row("u-1").held == 3)
        #expect(ledger.totalHeld == 3)
        let before = ledger
        #expect(throws: LedgerError.releaseExceedsHeld(node: "u-1", held: 3, wanted: 4)) {
            try ledger.release(4, at: "u-1")
        }
        #expect(throws: LedgerError.releaseExceedsHeld(node: "u-2", held: 0, wanted: 1)) {
            try ledger.release(1, at: "u-2")
        }
        #expect(ledger == before)
        try ledger.release(3, at: "u-1")
        #expect(ledger.row("u-1").held == 0)
        #expect(ledger.rights(of: "u-1") == 6)
        // Released units can be sold again.
        try ledger.consume(6, at: "u-1")
        #expect(ledger.rights(of: "u-1") == 0)
        #expect(ledger.row("u-1") == LedgerRow(consumed: 11, released: 5))
    }

    @Test("rights follow the formula minted + received - granted - consumed + released")
    func rightsFormula() {
        let ledger = RightsLedger(rows: [
            .center: LedgerRow(minted: 100, grantedTo: ["u-1": 40, "u-2": 30], consumed: 5, released: 1),
            "u-1": LedgerRow(grantedTo: ["u-2": 10, .center: 3], consumed: 12, released: 4),
            "u-2": LedgerRow(grantedTo: ["u-1": 2], consumed: 20, released: 0),
        ])
        #expect(ledger.rights(of: .center) == 100 + 3 - 70 - 5 + 1)
        #expect(ledger.rights(of: "u-1") == 0 + 42 - 13 - 12 + 4)
        #expect(ledger.rights(of: "u-2") == 0 + 40 - 2 - 20 + 0)
        #expect(ledger.rights(of: "u-3") == 0)
        #expect(ledger.received(by: "u-1") == 42)
        #expect(ledger.totalMinted == 100)
        #expect(ledger.totalHeld == 4 + 8 + 20)
        let sum = ledger.nodes.reduce(Int64(0)) { $0 + ledger.rights(of: $1) }
        #expect(sum + ledger.totalHeld == ledger.totalMinted)
    }

    @Test("a ledger survives a JSON round trip")
    func codable() throws {
        var ledger = try Fixture.ledger(minted: 50, grants: ["u-1": 20, "eu-west-2": 10])
        try ledger.consume(3, at: "u-1")
        try ledger.grant(4, from: "eu-west-2", to: "u-1")
        let data = try JSONEncoder().encode(ledger)
        let decoded = try JSONDecoder().decode(RightsLedger.self, from: data)
        #expect(decoded == ledger)
        #expect(decoded.rights(of: "u-1") == 21)
    }
}
