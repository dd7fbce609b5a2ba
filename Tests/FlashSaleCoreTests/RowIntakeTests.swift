// Which signed rows a node takes: one history per owner, and no owner giving or selling more than it holds.

import FlashSaleCore
import Testing

@Suite("Row intake")
struct RowIntakeTests {
    /// The center minted 10 and gave a and b 5 each.
    let ledger = RightsLedger(rows: [.center: LedgerRow(minted: 10, grantedTo: ["a": 5, "b": 5])])

    @Test("a row within its owner's rights is taken; one beyond them is refused as overdrawn")
    func overdrawn() {
        let intake = RowIntake(
            ["a": LedgerRow(grantedTo: ["c": 5]), "b": LedgerRow(grantedTo: ["c": 6])], kept: [:], ledger: ledger)
        #expect(intake.taken == ["a": LedgerRow(grantedTo: ["c": 5])])
        #expect(intake.overdrawn == ["b"])
        #expect(intake.conflicting.isEmpty)
    }

    @Test("two units that gave each other more than either held alone are taken together")
    func mutualGrants() {
        // a gave b 8 after b gave a 8: each alone is overdrawn (5 held), both together hold.
        let rows: [NodeID: LedgerRow] = ["a": LedgerRow(grantedTo: ["b": 8]), "b": LedgerRow(grantedTo: ["a": 8])]
        let intake = RowIntake(rows, kept: [:], ledger: ledger)
        #expect(intake.taken == rows)
        #expect(intake.overdrawn.isEmpty)
        var merged = ledger
        for (node, row) in intake.taken { merged.merge(row, of: node) }
        #expect(merged.rights(of: "a") == 5 && merged.rights(of: "b") == 5)
    }

    @Test("a grant that leans on an overdrawn row is refused with it")
    func chain() {
        // b gives c 9 using 9 from a, but a holds only 5: a is refused, and then b holds only 5 too.
        let rows: [NodeID: LedgerRow] = ["a": LedgerRow(grantedTo: ["b": 9]), "b": LedgerRow(grantedTo: ["c": 9])]
        let intake = RowIntake(rows, kept: [:], ledger: ledger)
        #expect(intake.taken.isEmpty)
        #expect(intake.overdrawn == ["a", "b"])
    }

    @Test("an older row brings nothing; a row from another history is refused as conflicting")
    func histories() {
        let kept: [NodeID: LedgerRow] = ["a": LedgerRow(grantedTo: ["b": 3], consumed: 1)]
        let older = RowIntake(["a": LedgerRow(grantedTo: ["b": 2])], kept: kept, ledger: ledger)
        #expect(older == RowIntake())
        let other = RowIntake(["a": LedgerRow(grantedTo: ["c": 3], consumed: 1)], kept: kept, ledger: ledger)
        #expect(other.conflicting == ["a"] && other.taken.isEmpty)
        let newer = RowIntake(["a": LedgerRow(grantedTo: ["b": 3, "c": 1], consumed: 1)], kept: kept, ledger: ledger)
        #expect(newer.taken.keys.sorted() == ["a"])
    }
}
