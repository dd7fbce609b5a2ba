// The payment provider's callback signature: what it covers, and the window it is accepted in.

import FlashSaleAPI
import Foundation
import Testing

@Suite struct PaymentCallbackTests {
    static let secret = "whsec-for-the-payment-tests"
    static let path = "/v1/orders/eu-west-1-1700000000000-0/pay"
    static let body = Data(#"{"payment":"pi_1"}"#.utf8)
    static let now: Int64 = 1_800_000_000

    private func valid(_ header: String?, path: String = path, body: Data = body, now: Int64 = now) -> Bool {
        PaymentCallback.isValid(header: header, secret: Self.secret, path: path, body: body, nowSeconds: now)
    }

    private func signed(at time: Int64, secret: String = secret, path: String = path, body: Data = body) -> String {
        PaymentCallback.signature(secret: secret, path: path, body: body, unixSeconds: time)
    }

    @Test func aSignatureIsValidOnlyForItsOrderItsBodyAndItsSecret() {
        #expect(valid(signed(at: Self.now)))
        #expect(!valid(signed(at: Self.now, secret: "another-webhook-secret")))
        #expect(!valid(signed(at: Self.now), path: "/v1/orders/eu-west-1-1700000000000-1/pay"), "another order")
        #expect(!valid(signed(at: Self.now), body: Data(#"{"payment":"pi_2"}"#.utf8)), "another body")
        #expect(!valid(signed(at: Self.now).replacingOccurrences(of: "t=\(Self.now)", with: "t=\(Self.now + 1)")), "another time")
    }

    @Test func itIsAcceptedWithinFiveMinutesOfTheUnitsClockOnly() {
        let tolerance = PaymentCallback.toleranceSeconds
        #expect(tolerance == 300)
        #expect(valid(signed(at: Self.now - tolerance)))
        #expect(valid(signed(at: Self.now + tolerance)))
        #expect(!valid(signed(at: Self.now - tolerance - 1)), "a captured callback sent again later")
        #expect(!valid(signed(at: Self.now + tolerance + 1)))
    }

    @Test func malformedHeadersAreRefusedWithoutTrapping() {
        let mac = String(signed(at: Self.now).split(separator: ",")[1])
        for header in [
            nil, "", "t=", "v1=", mac, "t=\(Self.now)", "t=\(Int64.max),\(mac)", "t=\(Int64.min),\(mac)", "t=-1,\(mac)",
            "t=abc,\(mac)", "t=\(Self.now),v1=zz", "t=\(Self.now),v1=\(String(repeating: "0", count: 64))",
            String(repeating: "t=1,", count: 100) + mac,
        ] {
            #expect(!valid(header), "\(header ?? "nil")")
        }
        #expect(!valid(signed(at: Self.now), now: Int64.max))
        #expect(!valid(signed(at: Self.now), now: Int64.min))
    }
}
