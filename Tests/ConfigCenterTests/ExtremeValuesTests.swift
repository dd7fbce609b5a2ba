// Every number of every body the config-center takes, set to the extremes: a clear problem+json, and nothing changes.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@Suite struct ExtremeValuesTests {
    /// A valid body of every operation that takes one (besides units' own signed routes), with the role that may send it.
    static func bodies() throws -> [(method: HTTPRequest.Method, uri: String, json: String)] {
        let issuer = try String(
            decoding: WireJSON.encoder.encode(
                TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", maxLifetimeSeconds: 600, jwks: JWKSDocument(keys: [TokenIssuerTests.jwk()]))),
            as: UTF8.self)
        return [
            (.post, "/v1/sales", #"{"id":"x1","title":"T","stock":5,"startsAt":"2025-06-15T15:05:40Z","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1,"paymentWindowSeconds":600,"admission":{"requireToken":true,"userRate":{"perMinute":60,"burst":5},"ipRate":{"perMinute":600,"burst":50},"captchaDifficulty":5000,"eligibility":{"minLevel":1,"minAccountAgeSeconds":2592000}}}"#),
            (.post, "/v1/sales/s1/allocations", #"{"counts":{"eu":5}}"#),
            (.post, "/v1/sales/s1/allocations", #"{"percentages":{"eu":50}}"#),
            (.post, "/v1/sales/s1/restock", #"{"amount":7}"#),
            (.post, "/v1/tokens", #"{"user":"u1","region":"eu","level":2,"accountCreatedAt":"2025-01-01T00:00:00Z","ttlSeconds":600}"#),
            (.put, "/v1/token-issuer", issuer),
            (.post, "/v1/apply", #"{"sales":[{"sale":{"id":"x2","title":"T","stock":5,"startsAt":"2025-06-15T15:05:40Z","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1},"allocation":{"counts":{"eu":2}}}]}"#),
        ]
    }

    @Test func everyNumberAtItsExtremesIsRefusedClearlyAndChangesNothing() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            try await center.createSale(saleSpec("s1", stock: 100))
            var sent = 0
            for (method, uri, json) in try Self.bodies() {
                let mutations = try ExtremeNumbers.mutations(of: json)
                #expect(!mutations.isEmpty, "\(uri) has numbers to try")
                for (path, body) in mutations {
                    let problem = try await center.expectRefusedClearly("\(method) \(uri) \(path)") {
                        try await center.execute(
                            uri: uri, method: method, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                    }
                    #expect(problem != nil, "\(method) \(uri) \(path): a problem with a code")
                    sent += 1
                }
            }
            #expect(sent > 150)
            // And it still answers, unchanged.
            #expect(try await center.status("s1").sold == 0)
        }
    }

    /// Arrays and maps far longer than any operator writes: refused (or taken within their bounds), never a crash.
    @Test func hugeCollectionsAreRefusedClearlyAndChangeNothing() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1", stock: 100))
            let manyRegions = (0..<20_000).map { "\"r\($0)\":1" }.joined(separator: ",")
            let manyKeys = (0..<(JWKSDocument.keysMax * 100)).map { _ in #"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"k"}"# }
                .joined(separator: ",")
            let manySales = (0..<5_000).map { #"{"sale":{"id":"y\#($0)","title":"T","stock":1,"startsAt":"2025-06-15T15:05:40Z","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1}}"# }
                .joined(separator: ",")
            for (method, uri, body) in [
                (HTTPRequest.Method.post, "/v1/sales/s1/allocations", #"{"counts":{\#(manyRegions)}}"#),
                (.post, "/v1/sales/s1/allocations", #"{"percentages":{\#(manyRegions)}}"#),
                (.put, "/v1/token-issuer", #"{"issuer":"i","audience":"a","jwks":{"keys":[\#(manyKeys)]}}"#),
                (.post, "/v1/apply", #"{"sales":[\#(manySales)]}"#),
            ] {
                let problem = try await center.expectRefusedClearly("\(method) \(uri)") {
                    try await center.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                }
                #expect(problem != nil, "\(uri): a problem with a code")
            }
        }
    }
}

extension CenterClient {
    /// Sends a request that must be refused with a 4xx problem+json, and checks that nothing changed; the code.
    func expectRefusedClearly(_ what: String, _ request: () async throws -> TestResponse) async throws -> ProblemCode? {
        let before = try await snapshot()
        let response = try await request()
        #expect((400..<500).contains(Int(response.status.code)), "\(what): \(response.status) \(response.text.prefix(200))")
        #expect(response.headers[.contentType] == Problem.contentType, "\(what)")
        let after = try await snapshot()
        #expect(after == before, "\(what) changed the state")
        return (try? decode(Problem.self, response))?.code
    }
}
