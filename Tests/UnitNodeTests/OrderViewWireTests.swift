// The 201's hand-written JSON is byte for byte what WireJSON's encoder makes of the same order.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import NIOCore
import Testing
import TestSupport

@Suite struct OrderViewWireTests {
    static let alphabet: [String] = ["a", "Z", "0", "-", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "日", "🙂", " ", "\r", "\u{08}", "\u{0C}"]

    static func text(_ random: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? "a" }.joined()
    }

    static func date(_ random: inout SplitMix64) -> Date {
        // From 1970 to year 9999, in milliseconds, plus a few instants on whole seconds and just before them.
        let ms = Int64.random(in: 0...253_402_300_799_999, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return Date(millisecondsSince1970: ms - ms % 1000)
        case 1: return Date(millisecondsSince1970: ms - ms % 1000 + 999)
        default: return Date(millisecondsSince1970: ms)
        }
    }

    @Test func theHandWrittenJSONIsTheEncodersForEveryOrder() throws {
        var random = SplitMix64(seed: 2026)
        for _ in 0..<5_000 {
            var view = OrderView(
                id: Self.text(&random), sale: Self.text(&random), user: Self.text(&random), unit: Self.text(&random),
                status: OrderStatus.allCases.randomElement(using: &random) ?? .reserved, createdAt: Self.date(&random),
                payBy: Bool.random(using: &random) ? Self.date(&random) : nil)
            if Bool.random(using: &random) { view.orderSecret = Self.text(&random) }
            let expected = try WireJSON.encoder.encode(view)
            #expect(Array(view.wireJSON.readableBytesView) == Array(expected), "\(String(decoding: expected, as: UTF8.self))")
        }
    }

    @Test func anOrderAsTheUnitMakesItAndDatesOutsideFourDigitYears() throws {
        let order = Order(id: try #require(OrderID("eu-west-1-1764684000123-7")), saleID: "phone", userID: "alice", status: .reserved)
        var view = OrderView(order)
        view.payBy = Date(millisecondsSince1970: 1_764_684_600_123)
        view.orderSecret = "0123456789abcdef0123456789abcdef"
        #expect(Array(view.wireJSON.readableBytesView) == Array(try WireJSON.encoder.encode(view)))
        for far in [Date(timeIntervalSince1970: 253_402_300_800), Date(timeIntervalSince1970: -62_167_219_201)] {
            view.payBy = far
            #expect(Array(view.wireJSON.readableBytesView) == Array(try WireJSON.encoder.encode(view)))
        }
    }
}
