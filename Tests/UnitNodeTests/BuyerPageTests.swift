// The buyer's page at a unit: served from the binary, with a policy that lets its own scripts and worker run and
// nothing else; every answer as the unit's OpenAPI document says.

import FlashSaleAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct BuyerPageTests {
    /// The operations of the buyer's page, driven here (OpenAPIUnitTests lists them as the "pages" group).
    static let operations = ["GET /", "GET /sales/{sale}", "GET /buyer/{asset}"]

    @Test func thePageAndItsFilesAnswerAsDocumented() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let checked = try await CheckedUnit(client: client, api: nil)
            for uri in ["/", "/sales/\(TestUnit.saleID)", "/sales/no-such-sale"] {
                let page = try await checked.call(.get, uri, expect: .ok)
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: page.body).contains(#"<script src="/buyer/buyer.js"></script>"#))
                #expect(!String(buffer: page.body).contains("<script>"), "no inline script: the policy would block it")
            }
            let policy = try #require(try await client.execute(uri: "/", method: .get).headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("worker-src 'self'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval") && !policy.contains("blob:"))

            let script = try await checked.call(.get, "/buyer/buyer.js", expect: .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            // The page sends what the unit checks: an Idempotency-Key on every purchase, the answer in `Altcha`.
            #expect(String(buffer: script.body).contains(#""Idempotency-Key""#) && String(buffer: script.body).contains("headers.Altcha"))
            let worker = try await checked.call(.get, "/buyer/buyer-worker.js", expect: .ok)
            #expect(String(buffer: worker.body).contains(#"crypto.subtle.digest("SHA-256""#))
            #expect(try await checked.call(.get, "/buyer/buyer.css", expect: .ok).headers[.contentType] == "text/css; charset=utf-8")
            try await checked.call(.get, "/buyer/other.js", expect: .notFound, code: .notFound)

            let unseen = checked.api.unseen(operations: Self.operations).filter { !$0.hasSuffix(" 500") }
            #expect(unseen == [])
        }
    }
}
