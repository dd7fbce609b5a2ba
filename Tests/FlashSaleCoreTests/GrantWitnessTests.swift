// The config-center's witness of units' grants: what a unit may count of another unit's grant to it.

import FlashSaleCore
import Foundation
import Testing

@Suite struct GrantWitnessTests {
    @Test func itHoldsTheUnitsGrantsOfALedgerAndNotTheCentersOwn() throws {
        var ledger = RightsLedger()
        try ledger.mint(10, by: .center)
        try ledger.grant(6, from: .center, to: "u1")
        try ledger.grant(2, from: "u1", to: "u2")
        try ledger.grant(1, from: "u1", to: .center)
        let witness = GrantWitness(ledger: ledger)
        #expect(witness == GrantWitness(grants: ["u1": ["u2": 2, .center: 1]]))
        #expect(witness.amount(from: "u1", to: "u2") == 2)
        #expect(witness.amount(from: .center, to: "u1") == 0, "the center's grants are its own signed row")
    }

    @Test func aReceiverCountsAnotherUnitsGrantToItOnlyByTheWitness() {
        let rows: [NodeID: LedgerRow] = [
            "u1": LedgerRow(grantedTo: ["me": 5, "u2": 3], consumed: 1),
            .center: LedgerRow(minted: 9, grantedTo: ["me": 4]),
        ]
        let counted = GrantWitness.withoutUnwitnessed(rows, receiver: "me")
        #expect(counted["u1"] == LedgerRow(grantedTo: ["u2": 3], consumed: 1))
        #expect(counted[.center] == rows[.center], "the center's own grants need no witness")
        #expect(GrantWitness.withoutUnwitnessed(rows, receiver: .center) == rows, "the center is the witness")

        let witness = GrantWitness(grants: ["u1": ["me": 4, "u2": 3], "me": ["u1": 7]])
        let merged = witness.rows(except: "me")
        #expect(merged == ["u1": LedgerRow(grantedTo: ["me": 4, "u2": 3])], "never the receiver's own grants")
    }

    @Test func aNewerWitnessDominatesAnOlderOne() {
        let older = GrantWitness(grants: ["u1": ["u2": 2]])
        let newer = GrantWitness(grants: ["u1": ["u2": 3], "u2": ["u3": 1]])
        #expect(newer.dominates(older))
        #expect(!older.dominates(newer))
        #expect(GrantWitness().dominates(GrantWitness()))
        #expect(GrantWitness(grants: ["u1": ["u2": 0], .center: ["u1": 5]]) == GrantWitness(), "zeros and the center's row are dropped")
    }

    @Test func aWitnessFromTheNetworkIsCheckedAsItIsDecoded() throws {
        let decoder = JSONDecoder()
        func decodes(_ json: String) -> Bool { (try? decoder.decode(GrantWitness.self, from: Data(json.utf8))) != nil }
        #expect(decodes(#"{"grants":{"u1":{"u2":3,"center":1}}}"#))
        #expect(!decodes(#"{"grants":{"center":{"u1":3}}}"#), "the center gives in its own row")
        #expect(!decodes(#"{"grants":{"u1":{"u1":3}}}"#), "no grant to oneself")
        #expect(!decodes(#"{"grants":{"u1":{"u2":-1}}}"#))
        #expect(!decodes(#"{"grants":{"u1":{"u2":1000000001}}}"#))
        #expect(!decodes(#"{"grants":{"u1":{"u2":9223372036854775807}}}"#))
        #expect(!decodes(#"{"grants":{"not an id!":{"u2":1}}}"#))
        let many = (0..<101).map { "\"g\($0)\":{" + (0..<100).map { "\"r\($0)\":1" }.joined(separator: ",") + "}" }.joined(separator: ",")
        #expect(!decodes(#"{"grants":{"# + many + "}}"), "10,100 entries: more than a message may carry")
    }
}
