// The config-center's OpenAPI document is true: every answer of the real router, success and refusal, is checked
// against the document it serves at GET /openapi.json (status documented, media type, body schema, headers).

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenAPIKit
import OpenAPITestSupport
import Synchronization
import Testing
import TestSupport

@Suite struct OpenAPICenterTests {
    static let secret = "the-cluster-secret-for-openapi"

    /// Answers no test produces on purpose: an unexpected failure (500), minting with no signing key (a
    /// config-center always makes one at start), a blacklist of 100,000 users.
    static let unpractical: Set<String> = ["POST /v1/tokens 409", "PUT /v1/blacklist/{user} 409"]

    /// The operations each test below drives; together they must be every operation of the document.
    static let groups: [String: [String]] = [
        "cluster": [
            "GET /healthz", "GET /openapi.json", "GET /v1/identity", "GET /v1/config", "POST /v1/regions", "GET /v1/regions", "POST /v1/units",
            "GET /v1/units", "POST /v1/units/{unit}/report", "POST /v1/apply", "POST /v1/gossip", "DELETE /v1/units/{unit}/key",
        ],
        "sales": [
            "POST /v1/sales", "GET /v1/sales", "GET /v1/sales/{sale}", "GET /v1/sales/{sale}/status",
            "POST /v1/sales/{sale}/allocations", "POST /v1/sales/{sale}/restock", "POST /v1/sales/{sale}/pause",
            "POST /v1/sales/{sale}/resume", "POST /v1/sales/{sale}/stop",
        ],
        "buyers": [
            "POST /v1/tokens", "POST /v1/token-keys/rotate", "GET /v1/blacklist", "PUT /v1/blacklist/{user}",
            "DELETE /v1/blacklist/{user}", "GET /v1/token-issuer", "PUT /v1/token-issuer", "DELETE /v1/token-issuer",
        ],
        // Driven by SaleStatusStreamTests (the stream needs a live server).
        "dashboard": SaleStatusStreamTests.operations,
        "operations": ["GET /readyz", "GET /metrics"],
        "operators": ["GET /v1/operators", "POST /v1/operators", "DELETE /v1/operators/{name}"],
    ]

    static func missing(_ api: OpenAPIConformance, _ group: String) -> [String] {
        // 413 is checked for every operation at once, by aBodyOverTheUploadLimitIsRefusedAsTheClientsFault; 401 and
        // 403 by credentialRefusalsAnswerAsDocumented.
        api.unseen(operations: groups[group]).filter {
            !unpractical.contains($0) && !$0.hasSuffix(" 500") && !$0.hasSuffix(" 413") && !$0.hasSuffix(" 401")
                && !$0.hasSuffix(" 403")
        }
    }

    // MARK: The document

    @Test func theCenterDocumentParsesValidatesAndListsEveryProblemCode() throws {
        let document = try JSONDecoder().decode(OpenAPI.Document.self, from: OpenAPIDocument.center())
        #expect(document.openAPIVersion.rawValue.hasPrefix("3.1"))
        try document.validate()  // strict: parse warnings count as errors
        let api = try OpenAPIConformance(json: OpenAPIDocument.center())
        #expect(api.problemCodeEnum.sorted() == ProblemCode.allCases.map(\.rawValue).sorted())
        for (operation, status, codes) in api.problemResponses {
            #expect(!codes.isEmpty, "\(operation) \(status): no code list")
            for code in codes {
                #expect(ProblemCode(rawValue: code).map { String($0.status.code) } == status, "\(operation): \(code) under \(status)")
            }
        }
        #expect(api.problemResponses.count > 50)
        #expect(Set(api.documentedOperations) == Set(Self.groups.values.joined()), "every operation is driven by a test below")
    }

    // MARK: Every operation, every practical answer

    @Test func credentialRefusalsAnswerAsDocumented() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1", stock: 100))
            let api = try await CheckedCenter(center)
            let added = try await api.call(
                .post, "/v1/operators", raw: Data(#"{"name":"ops","role":"operator"}"#.utf8), expect: .created)
            let grant = try center.ok(OperatorGrant.self, added, status: .created)
            try await api.call(.post, "/v1/operators", raw: Data(#"{"name":"ops","role":"viewer"}"#.utf8), expect: .conflict, code: .alreadyExists)
            try await api.call(.post, "/v1/operators", raw: Data(#"{"name":"x","role":"root"}"#.utf8), expect: .badRequest, code: .invalidInput)
            try await api.call(.get, "/v1/operators", expect: .ok)
            _ = try await center.post("/v1/operators", OperatorSpec(name: "watcher", role: .viewer))
            try await api.call(.delete, "/v1/operators/watcher", expect: .ok)
            try await api.call(.delete, "/v1/operators/watcher", expect: .notFound, code: .notFound)
            try await api.call(.delete, "/v1/operators/test-admin", expect: .conflict, code: .conflict)

            // Every guarded operation: 401 with no credential; 403 with an operator's credential where it needs an
            // admin, with a viewer's where it needs an operator.
            let reader = try center.ok(
                OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "reader", role: .viewer)), status: .created)
            for route in OperatorAuthTests.guarded {
                let uri = route.uri.replacingOccurrences(of: "/v1/operators/test-admin", with: "/v1/operators/reader")
                let body = route.body.map { Data($0.utf8) }
                try await CheckedCenter(center.with(credential: nil), api: api.api)
                    .call(route.method, uri, raw: body, expect: .unauthorized, code: .unauthorized)
                let lower = route.role == .admin ? grant.credential : reader.credential
                if route.role != .viewer {
                    try await CheckedCenter(center.with(credential: lower), api: api.api)
                        .call(route.method, uri, raw: body, expect: .forbidden, code: .forbidden)
                }
            }
            // A viewer's read that answers 404 until an identity provider is set (so not in `guarded`, whose reads answer 200).
            try await CheckedCenter(center.with(credential: nil), api: api.api)
                .call(.get, "/v1/token-issuer", expect: .unauthorized, code: .unauthorized)
            // The units' routes refuse a missing or bad signature, not a credential: clusterRoutesAnswerAsDocumented drives them.
            let unitRoutes = ["POST /v1/gossip", "GET /v1/config", "POST /v1/units/{unit}/report"]
            let unseen = api.api.unseen().filter { operation in
                (operation.hasSuffix(" 401") || operation.hasSuffix(" 403")) && !unitRoutes.contains { operation.hasPrefix($0 + " ") }
            }
            #expect(unseen == [])
            #expect(Self.missing(api.api, "operators") == [])
        }
    }

    @Test func clusterRoutesAnswerAsDocumented() async throws {
        let box = Mutex<OpenAPIConformance?>(nil)
        try await withCenter(clusterSecret: Self.secret) { center in
            let api = try await CheckedCenter(center)
            box.withLock { $0 = api.api }
            let health = try await api.call(.get, "/healthz", expect: .ok)
            #expect(health.text == #"{"status":"ok"}"#)
            let identity = try await api.call(.get, "/v1/identity", expect: .ok)
            #expect(try center.decode([String: String].self, identity)["publicKey"]?.count == 64)
            let empty = try await api.call(.get, "/v1/config", expect: .ok)
            #expect(try center.decode(ClusterConfig.self, empty).version == 0)
            try await api.call(.get, "/v1/config?wait=31", expect: .badRequest, code: .invalidInput)
            try await api.call(.get, "/v1/config?after=-1", expect: .badRequest, code: .invalidInput)

            try await api.call(.post, "/v1/regions", RegionSpec(id: "eu", endpoint: "http://eu.example"), expect: .created)
            try await api.call(.post, "/v1/regions", RegionSpec(id: "us"), expect: .created)
            try await api.call(.post, "/v1/regions", RegionSpec(id: "Not An Id"), expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/regions", raw: #"{"endpoint": "http://x.example"}"#, expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/regions", raw: "not json", expect: .badRequest, code: .invalidInput)
            let regions = try await api.call(.get, "/v1/regions", expect: .ok)
            #expect(try center.decode([RegionSpec].self, regions).map(\.id) == ["eu", "us"])

            try await api.call(
                .post, "/v1/units", UnitSpec(id: "eu-1", region: "eu", url: "http://127.0.0.1:8101", publicKey: TestKeys.key("eu-1").publicKey),
                expect: .created)
            try await api.call(
                .post, "/v1/units", UnitSpec(id: "eu-9", region: "eu", publicKey: "not-a-key"), expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/units", UnitSpec(id: "center", region: "eu"), expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/units", UnitSpec(id: "xx-1", region: "nope"), expect: .notFound, code: .unknownRegion)
            try await api.call(.post, "/v1/units", UnitSpec(id: "eu-1", region: "us"), expect: .conflict, code: .conflict)

            try await center.createSale(saleSpec("s1", stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let report = UnitReport(
                unit: "eu-1", region: "eu", url: "http://127.0.0.1:8101", configVersion: 3,
                sales: ["s1": LedgerRow(consumed: 2)],
                pulses: ["s1": Pulse(node: "eu-1", available: 8, demandPerSecond: 1.25, heartbeatMs: Fixed.nowMs)])
            let seen = try await api.call(.post, "/v1/units/eu-1/report", report, expect: .ok)
            #expect(try center.decode(UnitSpec.self, seen).lastSeen == Fixed.now)
            var other = report
            other.unit = "eu-2"
            try await api.call(.post, "/v1/units/eu-1/report", other, expect: .badRequest, code: .invalidInput)
            // eu-2 is not enrolled: its report is refused before it is read.
            try await api.call(.post, "/v1/units/eu-2/report", other, expect: .unauthorized, code: .unauthorized)
            // eu-1's report signed by another enrolled unit (us-1) is not eu-1's.
            try await api.call(
                .post, "/v1/units", UnitSpec(id: "us-1", region: "us", publicKey: TestKeys.key("us-1").publicKey), expect: .created)
            let reportBody = try WireJSON.encoder.encode(report)
            var forged: HTTPFields = [.contentType: "application/json"]
            forged.append(contentsOf: TestKeys.headers(
                unit: "us-1", method: .post, uri: "/v1/units/eu-1/report", body: reportBody, nowMs: center.clock.nowMs))
            try await CheckedCenter(center.unsigned, api: api.api)
                .call(.post, "/v1/units/eu-1/report", headers: forged, raw: reportBody, expect: .forbidden, code: .forbidden)
            try await CheckedCenter(center.unsigned.with(credential: nil), api: api.api)
                .call(.get, "/v1/config", expect: .unauthorized, code: .unauthorized)
            var moved = report
            moved.region = "us"
            try await api.call(.post, "/v1/units/eu-1/report", moved, expect: .conflict, code: .conflict)
            let units = try await api.call(.get, "/v1/units", expect: .ok)
            #expect(try center.decode([UnitSpec].self, units).first?.lastSeen == Fixed.now)
            let config = try await api.call(.get, "/v1/config?after=0&wait=1", expect: .ok)
            #expect(try center.decode(ClusterConfig.self, config).sales.first?.unitRows?["eu-1"]?.consumed == 2)
            // One caller holds at most two long-polls at once; the third is 429 with Retry-After.
            let current = try center.decode(ClusterConfig.self, config).version
            let waiting = "/v1/config?after=\(current)&wait=2"
            let held = [Task { try await api.call(.get, waiting, expect: .ok) }, Task { try await api.call(.get, waiting, expect: .ok) }]
            try await Task.sleep(for: .milliseconds(300))
            let limited = try await api.call(.get, waiting, expect: .tooManyRequests, code: .rateLimited)
            #expect(limited.headers[.retryAfter] == "1")
            for poll in held { _ = try await poll.value }
            let status = try await api.call(.get, "/v1/sales/s1", expect: .ok)
            #expect(try center.decode(SaleStatus.self, status).unit("eu-1")?.demandPerSecond == 1.3)

            let document = ClusterDocument(
                regions: [RegionSpec(id: "ap")], units: [UnitSpec(id: "ap-1", region: "ap")],
                sales: [DeclaredSale(
                    sale: SaleSpec(
                        id: "s2", title: "Tablet", stock: 50, startsAt: Fixed.at(-60), endsAt: Fixed.at(3600),
                        admission: AdmissionRules(requireToken: true, userRate: RateLimit(perMinute: 30, burst: 5)),
                        paymentWindowSeconds: 600),
                    allocation: AllocationSpec(percentages: ["ap": 40]), keepExistingWindow: true)])
            let applied = try await api.call(.post, "/v1/apply", document, expect: .ok)
            #expect(try center.decode(ApplyResult.self, applied).changes.count == 5)
            try await api.call(.post, "/v1/apply", ClusterDocument(regions: [RegionSpec(id: "-bad")]),
                               expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/apply", ClusterDocument(units: [UnitSpec(id: "zz-1", region: "zz")]),
                               expect: .notFound, code: .unknownRegion)
            var smaller = document
            smaller.sales?[0].sale.stock = 10
            try await api.call(.post, "/v1/apply", smaller, expect: .conflict, code: .conflict)
            let withTerms = try await api.call(.get, "/v1/config", expect: .ok)
            #expect(try center.decode(ClusterConfig.self, withTerms).sales.count == 2)

            // Gossip, signed by a member unit; then unsigned and malformed.
            let seal = try #require(GossipSeal(secret: Array(Self.secret.utf8)))
            let envelope = GossipEnvelope(
                from: "eu-1", sentAtMs: Fixed.nowMs, nonce: UUID().uuidString,
                digests: [TestKeys.signingRows(GossipDigest(sale: "s1", from: "eu-1", rows: ["eu-1": LedgerRow(consumed: 3)], pulse: nil))])
            let body = try WireJSON.encoder.encode(envelope)
            let signed = TestKeys.gossipHeaders(body, from: "eu-1", seal: seal)
            let answer = try await api.call(.post, "/v1/gossip", headers: signed, raw: body, expect: .ok)
            #expect(seal.verify(try #require(answer.headers[GossipSeal.headerName]), body: answer.data))
            let unsigned = try await api.call(.post, "/v1/gossip", raw: body, expect: .unauthorized, code: .unauthorized)
            #expect(unsigned.headers[.wwwAuthenticate] == "Bearer")
            let garbage = Data("[]".utf8)
            var signedGarbage: HTTPFields = [.contentType: "application/json"]
            signedGarbage[GossipSeal.headerName] = seal.signature(for: garbage)
            signedGarbage[GossipSenderSignature.senderHeaderName] = "eu-1"
            try await api.call(.post, "/v1/gossip", headers: signedGarbage, raw: garbage, expect: .badRequest, code: .invalidInput)
            // A member that sends far more than one message a round is refused before its body is read.
            let member: HTTPFields = [.contentType: "application/json", GossipSenderSignature.senderHeaderName: "eu-1"]
            for _ in 0..<Int(GossipSenderQuota.limit.burst) {
                _ = try await center.execute(uri: "/v1/gossip", method: .post, headers: member, body: ByteBuffer(string: "{}"))
            }
            let flooded = try await api.call(.post, "/v1/gossip", headers: member, raw: Data("{}".utf8), expect: .tooManyRequests, code: .rateLimited)
            #expect(flooded.headers[.retryAfter] != nil)

            // A unit's key withdrawn: it is listed without one, and its gossip is refused from then on.
            let revoked = try await api.call(.delete, "/v1/units/eu-1/key", expect: .ok)
            #expect(try center.decode(UnitSpec.self, revoked).publicKey == nil)
            try await api.call(.delete, "/v1/units/nope/key", expect: .notFound, code: .unknownUnit)
            let late = try WireJSON.encoder.encode(GossipEnvelope(
                from: "eu-1", sentAtMs: Fixed.nowMs, nonce: UUID().uuidString,
                digests: [TestKeys.signingRows(GossipDigest(sale: "s1", from: "eu-1", rows: ["eu-1": LedgerRow(consumed: 4)], pulse: nil))]))
            try await api.call(
                .post, "/v1/gossip", headers: TestKeys.gossipHeaders(late, from: "eu-1", seal: seal), raw: late,
                expect: .unauthorized, code: .unauthorized)

            // Routes and methods the document does not have.
            try await api.call(.get, "/v2/nothing", expect: .notFound, code: .notFound)
            let wrongMethod = try await api.call(.delete, "/v1/regions", expect: .methodNotAllowed, code: .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            let withParameter = try await api.call(.get, "/v1/sales/s1/pause", expect: .methodNotAllowed, code: .methodNotAllowed)
            #expect(withParameter.headers[.allow] == "POST")
        }
        try await withCenter { center in
            let api = try await CheckedCenter(center, api: try #require(box.withLock { $0 }))
            try await api.call(.post, "/v1/gossip", raw: Data("{}".utf8), expect: .notFound, code: .notFound)
        }
        let api = try #require(box.withLock { $0 })
        #expect(Self.missing(api, "cluster") == [])
    }

    @Test func salesRoutesAnswerAsDocumented() async throws {
        let box = Mutex<OpenAPIConformance?>(nil)
        try await withCenter { center in
            let api = try await CheckedCenter(center)
            box.withLock { $0 = api.api }
            try await center.addCluster(["eu": ["eu-1", "eu-2"], "us": ["us-1"]])
            try await center.addRegion("empty")
            let spec = SaleSpec(
                id: "s1", title: "Phone", stock: 100, startsAt: Fixed.at(-60), endsAt: Fixed.at(3600), perUserLimit: 2,
                admission: AdmissionRules(requireToken: true, ipRate: RateLimit(perMinute: 600, burst: 60), captchaDifficulty: 50_000,
                                          eligibility: EligibilityRules(minLevel: 1, minAccountAgeSeconds: 86_400)),
                paymentWindowSeconds: 300)
            let created = try await api.call(.post, "/v1/sales", spec, expect: .created)
            #expect(try center.decode(SaleStatus.self, created).minted == 100)
            try await api.call(.post, "/v1/sales", spec, expect: .created)  // the same again: no change
            var other = spec
            other.stock = 5
            try await api.call(.post, "/v1/sales", other, expect: .conflict, code: .alreadyExists)
            other.id = "s0"
            other.stock = 0
            try await api.call(.post, "/v1/sales", other, expect: .badRequest, code: .invalidInput)
            // Dates in requests may carry an offset and a fraction; answers give them in UTC, in whole seconds.
            let precise = try await api.call(
                .post, "/v1/sales",
                raw: #"{"id": "s3", "title": "x", "stock": 1, "startsAt": "2025-06-15T16:00:00.25+02:00", "endsAt": "2025-06-16T15:06:40Z", "perUserLimit": 1}"#,
                expect: .created)
            #expect(precise.text.contains(#""startsAt":"2025-06-15T14:00:00Z""#))
            try await api.call(.post, "/v1/sales", raw: #"{"id": "s4", "title": "x", "stock": 1, "startsAt": "2025-06-15", "endsAt": "2025-06-16T15:06:40Z", "perUserLimit": 1}"#,
                               expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/sales", saleSpec("s9", stock: 10, startsAt: Fixed.at(600)), expect: .created)

            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 30]), expect: .ok)
            let percent = try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(percentages: ["us": 50]), expect: .ok)
            #expect(try center.decode(SaleStatus.self, percent).atCenter == 35)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 1], percentages: ["eu": 1]),
                               expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: [:]), expect: .badRequest, code: .invalidAllocation)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(percentages: ["eu": 101]),
                               expect: .badRequest, code: .invalidAllocation)
            try await api.call(.post, "/v1/sales/nope/allocations", AllocationSpec(counts: ["eu": 1]), expect: .notFound, code: .unknownSale)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: ["mars": 1]), expect: .notFound, code: .unknownRegion)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 1_000]),
                               expect: .conflict, code: .allocationExceedsStock)
            try await api.call(.post, "/v1/sales/s1/allocations", AllocationSpec(counts: ["empty": 1]),
                               expect: .conflict, code: .regionWithoutUnits)

            try await api.call(.post, "/v1/sales/s1/restock", RestockSpec(amount: 20), expect: .ok)
            try await api.call(.post, "/v1/sales/s1/restock", RestockSpec(amount: 0), expect: .badRequest, code: .invalidInput)
            try await api.call(.post, "/v1/sales/nope/restock", RestockSpec(amount: 1), expect: .notFound, code: .unknownSale)

            let list = try await api.call(.get, "/v1/sales", expect: .ok)
            #expect(try center.decode([SaleStatus].self, list).map(\.state) == ["open", "open", "scheduled"])
            try await api.call(.get, "/v1/sales/s1", expect: .ok)
            try await api.call(.get, "/v1/sales/s1/status", expect: .ok)
            try await api.call(.get, "/v1/sales/nope", expect: .notFound, code: .unknownSale)
            try await api.call(.get, "/v1/sales/nope/status", expect: .notFound, code: .unknownSale)

            let paused = try await api.call(.post, "/v1/sales/s1/pause", expect: .ok)
            #expect(try center.decode(SaleStatus.self, paused).state == "paused")
            try await api.call(.post, "/v1/sales/s1/resume", expect: .ok)
            try await api.call(.post, "/v1/sales/nope/pause", expect: .notFound, code: .unknownSale)
            try await api.call(.post, "/v1/sales/nope/resume", expect: .notFound, code: .unknownSale)
            try await api.call(.post, "/v1/sales/nope/stop", expect: .notFound, code: .unknownSale)
            let stopped = try await api.call(.post, "/v1/sales/s9/stop", expect: .ok)
            #expect(try center.decode(SaleStatus.self, stopped).state == "ended")
            try await api.call(.post, "/v1/sales/s9/stop", expect: .ok)  // stopping an ended sale changes nothing
            try await api.call(.post, "/v1/sales/s9/pause", expect: .conflict, code: .conflict)
            try await api.call(.post, "/v1/sales/s9/resume", expect: .conflict, code: .conflict)
            try await api.call(.post, "/v1/sales/s9/allocations", AllocationSpec(counts: ["eu": 1]), expect: .conflict, code: .conflict)
            try await api.call(.post, "/v1/sales/s9/restock", RestockSpec(amount: 1), expect: .conflict, code: .conflict)
        }
        let api = try #require(box.withLock { $0 })
        #expect(Self.missing(api, "sales") == [])
    }

    @Test func buyerRoutesAnswerAsDocumented() async throws {
        let box = Mutex<OpenAPIConformance?>(nil)
        try await withCenter { center in
            let api = try await CheckedCenter(center)
            box.withLock { $0 = api.api }
            try await center.addRegion("eu")
            let request = TokenRequest(user: "alice", region: "eu", level: 2, accountCreatedAt: Fixed.at(-86_400 * 30), ttlSeconds: 600)
            let grant = try await api.call(.post, "/v1/tokens", request, expect: .created)
            #expect(try center.decode(TokenGrant.self, grant).expiresAt == Fixed.at(600))
            var bad = request
            bad.level = -1
            try await api.call(.post, "/v1/tokens", bad, expect: .badRequest, code: .invalidInput)
            bad = request
            bad.accountCreatedAt = Fixed.at(60)
            try await api.call(.post, "/v1/tokens", bad, expect: .badRequest, code: .invalidInput)
            bad = request
            bad.region = "nope"
            try await api.call(.post, "/v1/tokens", bad, expect: .notFound, code: .unknownRegion)
            let key = try await api.call(.post, "/v1/token-keys/rotate", expect: .created)
            #expect(try center.decode(BuyerTokenKey.self, key).publicKeyPEM.contains("BEGIN PUBLIC KEY"))

            try await api.call(.put, "/v1/blacklist/mallory", expect: .ok)
            let listed = try await api.call(.put, "/v1/blacklist/eve%3F1", expect: .ok)
            #expect(try center.decode([String].self, listed) == ["eve?1", "mallory"])
            try await api.call(.put, "/v1/blacklist/two%20words", expect: .badRequest, code: .invalidInput)
            try await api.call(.put, "/v1/blacklist/%zz", expect: .badRequest, code: .invalidInput)
            try await api.call(.delete, "/v1/blacklist/%zz", expect: .badRequest, code: .invalidInput)
            let removed = try await api.call(.delete, "/v1/blacklist/mallory", expect: .ok)
            #expect(try center.decode([String].self, removed) == ["eve?1"])
            try await api.call(.delete, "/v1/blacklist/nobody", expect: .ok)
            let list = try await api.call(.get, "/v1/blacklist", expect: .ok)
            #expect(try center.decode([String].self, list) == ["eve?1"])

            // The shop's identity provider.
            try await api.call(.get, "/v1/token-issuer", expect: .notFound, code: .notFound)
            try await api.call(.delete, "/v1/token-issuer", expect: .notFound, code: .notFound)
            let issuer = TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", jwks: try TokenIssuerTests.document())
            try await api.call(.put, "/v1/token-issuer", issuer, expect: .ok)
            try await api.call(.get, "/v1/token-issuer", expect: .ok)
            var noKeys = issuer
            noKeys.jwks.keys = []
            try await api.call(.put, "/v1/token-issuer", noKeys, expect: .badRequest, code: .invalidInput)
            let minting = try center.decode(BuyerTokenKey.self, key).kid
            let clash = TokenIssuerSpec(
                issuer: "https://id.example", audience: "flashsale",
                jwks: JWKSDocument(keys: [try TokenIssuerTests.jwk(BuyerTokenSigningKey.generate(kid: minting))]))
            try await api.call(.put, "/v1/token-issuer", clash, expect: .conflict, code: .conflict)
            let config = try await api.call(.get, "/v1/config", expect: .ok)
            let decoded = try center.decode(ClusterConfig.self, config)
            #expect(decoded.buyerTokenKeys?.count == 2)
            #expect(decoded.tokenIssuer?.keys.map(\.kid) == ["idp-1"])
            try await api.call(.delete, "/v1/token-issuer", expect: .ok)
        }
        let api = try #require(box.withLock { $0 })
        #expect(Self.missing(api, "buyers") == [])
    }

    /// The 405 table is read from the document: templates match segment by segment, a literal beats a parameter,
    /// and a document that is not one gives no table at all.
    @Test func documentedRoutesNameTheMethodsOfAPath() {
        let document = Data(#"""
            {"paths": {"/v1/sales": {"get": {}, "post": {}, "summary": "x"},
                       "/v1/sales/{sale}": {"get": {}},
                       "/v1/sales/mine": {"delete": {}},
                       "/v1/orders/{order}/pay": {"post": {}}}}
            """#.utf8)
        let routes = DocumentedRoutes(openAPI: document)
        #expect(routes.methods(for: "/v1/sales") == ["GET", "POST"])
        #expect(routes.methods(for: "/v1/sales/") == ["GET", "POST"])
        #expect(routes.methods(for: "/v1/sales/tv") == ["GET"])
        #expect(routes.methods(for: "/v1/sales/mine") == ["DELETE"])
        #expect(routes.methods(for: "/v1/orders/o-1/pay") == ["POST"])
        #expect(routes.methods(for: "/v1/orders/o-1") == [])
        #expect(routes.methods(for: "/v2/sales") == [])
        #expect(DocumentedRoutes(openAPI: Data("not json".utf8)).methods(for: "/v1/sales") == [])
        #expect(DocumentedRoutes.center.methods(for: "/v1/blacklist/bob") == ["DELETE", "PUT"])
    }

    /// Hummingbird stops reading a body at 2 MiB (gossip at 4 MiB); past it every operation with a body answers 413, as documented,
    /// and nothing is stored.
    @Test func aBodyOverTheUploadLimitIsRefusedAsTheClientsFault() async throws {
        try await withCenter(clusterSecret: Self.secret) { center in
            // Unit x is enrolled, so its signed heartbeat passes the header checks and meets the upload limit.
            try await center.addCluster(["xr": ["x"]])
            let api = try await CheckedCenter(center)
            let before = try await center.execute(uri: "/v1/config", method: .get).data
            // 5 MiB of JSON: over Hummingbird's 2 MiB upload limit, and over the 4 MiB gossip reads.
            let body = Data(#"{"id": "\#(String(repeating: "a", count: 5 << 20))"}"#.utf8)
            let operations = api.api.operationsWithBody
            #expect(operations.count == 11)
            for operation in operations {
                let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
                let uri = parts[1].replacing(/\{[a-z]+\}/, with: "x")
                // Gossip names an enrolled unit as its sender: a stranger's body is not read at all (401).
                try await api.call(
                    HTTPRequest.Method(parts[0]) ?? .post, uri,
                    headers: [.contentType: "application/json", GossipSenderSignature.senderHeaderName: "x"], raw: body,
                    expect: .contentTooLarge, code: .payloadTooLarge)
            }
            #expect(api.api.unseen(operations: operations).filter { $0.hasSuffix(" 413") } == [])
            #expect(try await center.execute(uri: "/v1/config", method: .get).data == before, "nothing was stored")
        }
    }
}

extension OpenAPICenterTests {
    @Test func readinessAndMetricsAnswerAsDocumented() async throws {
        let box = Mutex<OpenAPIConformance?>(nil)
        try await withCenter { center in
            let api = try await CheckedCenter(center)
            box.withLock { $0 = api.api }
            let ready = try await api.call(.get, "/readyz", expect: .ok)
            #expect(ready.text == #"{"status":"ready"}"#)
            let metrics = try await api.call(.get, "/metrics", expect: .ok)
            #expect(metrics.text.contains("flashsale_center_reports_total 0"))
        }
        let api = try #require(box.withLock { $0 })
        // A config-center whose database is closed is alive but not ready.
        let dir = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        let store = try CenterStore(pool: pool)
        let admin = try await testAdmin(store)
        let app = Application(router: CenterRoutes.router(store: store))
        try await app.test(.router) { client in
            try pool.close()
            let closed = try await CheckedCenter(CenterClient(client: client, clock: TestClock(), credential: admin), api: api)
            try await closed.call(.get, "/readyz", expect: .serviceUnavailable, code: .notReady)
            try await closed.call(.get, "/healthz", expect: .ok)
        }
        #expect(Self.missing(api, "operations") == [])
    }
}

/// The config-center's test client with every answer checked against the document it serves.
struct CheckedCenter: Sendable {
    let center: CenterClient
    let api: OpenAPIConformance

    /// Reads GET /openapi.json (it must be the shipped document, as application/json) and checks that answer too;
    /// `api` (read from another config-center) keeps its record of answers seen.
    init(_ center: CenterClient, api shared: OpenAPIConformance? = nil) async throws {
        self.center = center
        let response = try await center.execute(uri: "/openapi.json", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.data == OpenAPIDocument.center(), "the config-center serves the shipped document")
        api = try shared ?? OpenAPIConformance(json: response.data)
        #expect(api.violations(response, method: .get, uri: "/openapi.json") == [])
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, _ value: some Encodable, expect status: HTTPResponse.Status,
        code: ProblemCode? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        try await call(method, uri, raw: try WireJSON.encoder.encode(value), expect: status, code: code, sourceLocation: sourceLocation)
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, raw text: String, expect status: HTTPResponse.Status,
        code: ProblemCode? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        try await call(method, uri, raw: Data(text.utf8), expect: status, code: code, sourceLocation: sourceLocation)
    }

    /// Sends the request and checks the answer: documented, and the status (and problem code) the test expects.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [.contentType: "application/json"], raw body: Data? = nil,
        expect status: HTTPResponse.Status, code: ProblemCode? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        let response = try await center.execute(
            uri: uri, method: method, headers: body == nil ? [:] : headers, body: body.map { ByteBuffer(bytes: $0) })
        let violations = api.violations(response, method: method, uri: uri)
        #expect(violations == [], "\(violations.joined(separator: "\n"))", sourceLocation: sourceLocation)
        #expect(response.status == status, "\(method) \(uri): \(response.text)", sourceLocation: sourceLocation)
        if let code { try center.expectProblem(response, code, sourceLocation: sourceLocation) }
        return response
    }
}

extension OpenAPIConformance {
    /// Checks a HummingbirdTesting answer.
    func violations(_ response: TestResponse, method: HTTPRequest.Method, uri: String) -> [String] {
        violations(
            method: method.rawValue, uri: uri, status: Int(response.status.code),
            headers: response.headers.map { (name: $0.name.rawName, value: $0.value) }, body: response.data)
    }
}
