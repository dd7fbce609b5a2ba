// Numbers from the network are decoded into `WireBounds` or refused, so no arithmetic on them can trap.

import FlashSaleCore
import Foundation
import Testing

@Suite("WireBounds")
struct WireBoundsTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    static func pulse(available: String = "3", demand: String = "1.5", heartbeat: String = "1800000000000", node: String = "\"eu-1\"") -> String {
        #"{"node":\#(node),"available":\#(available),"demandPerSecond":\#(demand),"heartbeatMs":\#(heartbeat)}"#
    }

    static func row(minted: String = "0", consumed: String = "2", released: String = "1", grants: String = #"{"eu-2":4}"#) -> String {
        #"{"minted":\#(minted),"grantedTo":\#(grants),"consumed":\#(consumed),"released":\#(released)}"#
    }

    static let extremes = ["9223372036854775807", "-9223372036854775808", "-1", "1e300", "1000000001"]

    @Test func aPulseInRangeDecodes() throws {
        let pulse = try Self.decode(Pulse.self, Self.pulse())
        #expect(pulse == Pulse(node: "eu-1", available: 3, demandPerSecond: 1.5, heartbeatMs: 1_800_000_000_000))
        // Rights in flight may take available a little below zero.
        #expect(try Self.decode(Pulse.self, Self.pulse(available: "-5")).available == -5)
    }

    @Test func everyNumberOfAPulseIsRangeChecked() {
        for value in ["9223372036854775807", "-9223372036854775808", "1e300", "1000000001", "-1000000001"] {
            #expect(throws: DecodingError.self, "available \(value)") { try Self.decode(Pulse.self, Self.pulse(available: value)) }
        }
        for value in ["-1", "1e300", "-1e-9", "1000000001"] {
            #expect(throws: DecodingError.self, "demand \(value)") { try Self.decode(Pulse.self, Self.pulse(demand: value)) }
        }
        for value in ["-1", "-9223372036854775808", "9223372036854775807", "253402300800000"] {
            #expect(throws: DecodingError.self, "heartbeat \(value)") { try Self.decode(Pulse.self, Self.pulse(heartbeat: value)) }
        }
        for node in [#""""#, #""EU-1""#, "\"" + String(repeating: "a", count: 65) + "\"", "7"] {
            #expect(throws: DecodingError.self, "node \(node)") { try Self.decode(Pulse.self, Self.pulse(node: node)) }
        }
    }

    @Test func everyCounterOfARowIsRangeChecked() throws {
        #expect(try Self.decode(LedgerRow.self, Self.row()) == LedgerRow(grantedTo: ["eu-2": 4], consumed: 2, released: 1))
        for value in Self.extremes {
            #expect(throws: DecodingError.self) { try Self.decode(LedgerRow.self, Self.row(minted: value)) }
            #expect(throws: DecodingError.self) { try Self.decode(LedgerRow.self, Self.row(consumed: value)) }
            #expect(throws: DecodingError.self) { try Self.decode(LedgerRow.self, Self.row(released: value)) }
            #expect(throws: DecodingError.self) { try Self.decode(LedgerRow.self, Self.row(grants: #"{"eu-2":\#(value)}"#)) }
        }
        #expect(throws: DecodingError.self, "a grantee that is no node id") {
            try Self.decode(LedgerRow.self, Self.row(grants: #"{"EU 2":1}"#))
        }
        let many = (0...WireBounds.entriesMax).map { "\"n\($0)\":1" }.joined(separator: ",")
        #expect(throws: DecodingError.self, "more grantees than a message may name") {
            try Self.decode(LedgerRow.self, Self.row(grants: "{\(many)}"))
        }
    }

    @Test func aDigestIsBoundedToo() throws {
        let digest = #"{"sale":"s1","from":"eu-1","rows":{"eu-1":\#(Self.row())},"pulse":\#(Self.pulse())}"#
        #expect(try Self.decode(GossipDigest.self, digest).rows.count == 1)
        #expect(throws: DecodingError.self) {
            try Self.decode(GossipDigest.self, #"{"sale":"S 1","from":"eu-1","rows":{}}"#)
        }
        #expect(throws: DecodingError.self) {
            try Self.decode(GossipDigest.self, #"{"sale":"s1","from":"eu-1","rows":{"eu-1":\#(Self.row(consumed: "9223372036854775807"))}}"#)
        }
    }

    /// The widest pulses that can be decoded, as many as a message may carry: the policy's sums and conversions stay
    /// in range (the unit that took `available: Int64.max` trapped here).
    @Test func theRebalancingPolicyTakesTheExtremesThatCanBeDecoded() {
        let top = WireBounds.available.upperBound
        let me = Pulse(node: "me", available: top, demandPerSecond: 0, heartbeatMs: 0)
        let peers = (0..<WireBounds.entriesMax).map {
            Pulse(node: NodeID("p\($0)"), available: $0 % 2 == 0 ? top : WireBounds.available.lowerBound,
                  demandPerSecond: WireBounds.rate.upperBound, heartbeatMs: WireBounds.timeMs.upperBound)
        }
        let grants = RebalancePolicy().grants(me: me, peers: peers)
        #expect(grants.values.reduce(0, +) <= top)
        #expect(grants.values.allSatisfy { $0 > 0 })
        let tiny = Pulse(node: "me", available: top, demandPerSecond: WireBounds.rate.upperBound, heartbeatMs: 0)
        let slow = Pulse(node: "p", available: 0, demandPerSecond: Double.leastNonzeroMagnitude, heartbeatMs: 0)
        #expect(RebalancePolicy().grants(me: tiny, peers: [slow]).values.allSatisfy { $0 >= 0 })
    }
}
