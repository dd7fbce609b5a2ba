// OrderID: `<unit>-<ms>-<seq>` text form and ordering.

import FlashSaleCore
import Testing
import TestSupport

@Suite("OrderID")
struct OrderIDTests {
    @Test("description is unit-ms-seq")
    func description() {
        #expect(OrderID(unit: "u-1", milliseconds: 1_700_000_000_123, sequence: 7).description == "u-1-1700000000123-7")
        #expect(OrderID(unit: "a", milliseconds: 0, sequence: 0).description == "a-0-0")
        // Every digit count, both extremes, and the negative numbers only a hand-made id can hold: the same text as
        // the numbers' own descriptions.
        var values: [Int64] = [0, 9, 10, 99, 100, .max, .max - 1, -1, .min]
        var power: Int64 = 1
        while power <= .max / 10 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        for ms in values {
            for seq in values {
                #expect(OrderID(unit: "eu-1", milliseconds: ms, sequence: seq).description == "eu-1-\(ms)-\(seq)")
            }
        }
    }

    @Test("parsing takes the last two parts as ms and seq; the unit keeps its dashes")
    func parseDashedUnit() throws {
        let id = try #require(OrderID("eu-west-1-1700000000123-42"))
        #expect(id.unit == "eu-west-1")
        #expect(id.milliseconds == 1_700_000_000_123)
        #expect(id.sequence == 42)
        #expect(id == OrderID(unit: "eu-west-1", milliseconds: 1_700_000_000_123, sequence: 42))
        let plain = try #require(OrderID("u-5-0"))
        #expect(plain == OrderID(unit: "u", milliseconds: 5, sequence: 0))
    }

    @Test("description and parsing round trip for random ids with dashed units")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 2024)
        let alphabet = Array("abcxyz0189")
        for round in 0..<500 {
            var parts: [String] = []
            for _ in 0..<rng.int(1...4) {
                parts.append(String((0..<rng.int(1...6)).map { _ in rng.pick(alphabet) }))
            }
            let unit = NodeID(parts.joined(separator: "-"))
            let ms = rng.chance(10) ? Int64.max : rng.int64(0...4_000_000_000_000)
            let seq = rng.chance(10) ? rng.int64(0...Int64.max) : rng.int64(0...50)
            let id = OrderID(unit: unit, milliseconds: ms, sequence: seq)
            let parsed = try #require(OrderID(id.description), "round \(round): \(id)")
            #expect(parsed == id, "round \(round)")
            #expect(parsed.description == id.description, "round \(round)")
        }
    }

    @Test("malformed ids are rejected", arguments: [
        "", "u", "u-1", "1-2", "-1-2", "u-1-", "u--1", "u-x-1", "u-1-x", "u-1.5-2", "u-1-2.0", "U-1-2", "u_1-1-2",
        " u-1-2", "u-1-2 ", "u-1 -2", "u-99999999999999999999-0", "u-1-99999999999999999999", "é-1-2", "u/1-1-2",
        "u-0x10-1", "--1-2",
    ])
    func rejected(text: String) {
        #expect(OrderID(text) == nil)
    }

    @Test("a unit id longer than 64 characters is rejected")
    func longUnit() {
        #expect(OrderID(String(repeating: "a", count: 64) + "-1-2") != nil)
        #expect(OrderID(String(repeating: "a", count: 65) + "-1-2") == nil)
    }

    @Test("only the canonical text form parses (no signs, no leading zeros)")
    func canonicalOnly() {
        // Two different strings should not name the same order: the parsed id prints back as the text it came from.
        for text in ["u-+5-0", "u-5-+0", "u-05-0", "u-5-00"] {
            #expect(OrderID(text) == nil, "\(text) parsed as \(OrderID(text).map(\.description) ?? "nil")")
        }
        #expect(OrderID("u-0-0")?.description == "u-0-0")
    }

    @Test("ids of one unit sort by millisecond, then sequence")
    func orderWithinUnit() {
        let a = OrderID(unit: "u-1", milliseconds: 100, sequence: 5)
        let b = OrderID(unit: "u-1", milliseconds: 100, sequence: 6)
        let c = OrderID(unit: "u-1", milliseconds: 101, sequence: 0)
        let d = OrderID(unit: "u-1", milliseconds: 1_000, sequence: 0)  // sorts after c although "1000" < "101" as text
        #expect(a < b && b < c && c < d)
        #expect(!(b < a) && !(a < a))
        #expect([d, b, c, a].sorted() == [a, b, c, d])
    }

    @Test("ids of different units sort by unit first")
    func orderAcrossUnits() {
        let early = OrderID(unit: "u-2", milliseconds: 1, sequence: 0)
        let late = OrderID(unit: "u-1", milliseconds: 999, sequence: 9)
        #expect(late < early)
        #expect(OrderID(unit: "eu", milliseconds: 5, sequence: 0) < OrderID(unit: "eu-1", milliseconds: 1, sequence: 0))
    }

    @Test("an order's creation time is its id's millisecond")
    func orderCreatedAt() {
        let order = Order(id: OrderID(unit: "u-1", milliseconds: 1_234, sequence: 3), saleID: "s", userID: "alice")
        #expect(order.createdAtMs == 1_234)
        #expect(order.status == .reserved)
    }

    @Test("only reserved and paid orders hold stock")
    func statusHoldsStock() {
        #expect(OrderStatus.allCases.filter(\.holdsStock) == [.reserved, .paid])
        #expect(OrderStatus(rawValue: "expired") == .expired)
    }
}
