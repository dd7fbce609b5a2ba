// The unit's OpenAPI document is true: every answer of a real unit, success and refusal, is checked against the
// document the unit serves at GET /openapi.json (status documented, media type, body schema, headers).

import AsyncHTTPClient
import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Logging
import NIOCore
import OpenAPIKit
import OpenAPITestSupport
import Synchronization
import Testing
@testable import UnitNode

@Suite struct OpenAPIUnitTests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let signing = BuyerTokenSigningKey.generate(kid: "openapi-k1")
    static let peer = "eu-west-2"

    /// Answers no test produces on purpose: an unexpected failure (500), a purchase still being written when its
    /// retry arrives (409 idempotency-in-progress is covered as a 409 by already-bought), the 257th follower.
    static let unpractical: Set<String> = [
        "GET /healthz 500", "GET /openapi.json 500", "GET /v1/sales 500", "GET /v1/sales/{sale} 500",
        "GET /v1/sales/{sale}/challenge 500", "POST /v1/sales/{sale}/purchases 500", "GET /v1/orders 500",
        "GET /v1/orders/stream 500", "GET /v1/orders/stream 409", "GET /v1/orders/{order} 500",
        "POST /v1/orders/{order}/pay 500", "POST /v1/orders/{order}/cancel 500", "POST /v1/gossip 500",
        "GET /readyz 500", "GET /metrics 500", "POST /v1/custody/{sale}/copies 500", "POST /v1/custody/{sale}/held 500",
    ]

    /// Whether a test of one group must produce this documented answer itself: 413 is driven for every operation
    /// at once by `aBodyOverTheUploadLimitIsRefusedAsTheClientsFault`.
    static func drivenHere(_ answer: String) -> Bool { !unpractical.contains(answer) && !answer.hasSuffix(" 413") }

    /// The operations each test below drives; together they must be every operation of the document.
    static let groups: [String: [String]] = [
        "purchases": ["POST /v1/sales/{sale}/purchases"],
        "sales": ["GET /healthz", "GET /openapi.json", "GET /v1/sales", "GET /v1/sales/{sale}", "GET /v1/sales/{sale}/challenge"],
        "orders": ["GET /v1/orders", "GET /v1/orders/stream"],
        "lifecycle": ["GET /v1/orders/{order}", "POST /v1/orders/{order}/pay", "POST /v1/orders/{order}/cancel"],
        "gossip": ["POST /v1/gossip"],
        "custody": ["POST /v1/custody/{sale}/copies", "POST /v1/custody/{sale}/held"],
        // Driven by BuyerPageTests.
        "pages": BuyerPageTests.operations,
        "operations": ["GET /readyz", "GET /metrics"],
    ]

    // MARK: The documents

    @Test func theUnitDocumentParsesValidatesAndListsEveryProblemCode() throws {
        let document = try JSONDecoder().decode(OpenAPI.Document.self, from: OpenAPIDocument.unit())
        #expect(document.openAPIVersion.rawValue.hasPrefix("3.1"))
        try document.validate()  // strict: parse warnings count as errors
        let api = try OpenAPIConformance(json: OpenAPIDocument.unit())
        #expect(api.problemCodeEnum.sorted() == ProblemCode.allCases.map(\.rawValue).sorted())
        for (operation, status, codes) in api.problemResponses {
            #expect(!codes.isEmpty, "\(operation) \(status): no code list")
            for code in codes {
                #expect(ProblemCode(rawValue: code).map { String($0.status.code) } == status, "\(operation): \(code) under \(status)")
            }
        }
        #expect(api.problemResponses.count > 40)
        #expect(Set(api.documentedOperations) == Set(Self.groups.values.joined()), "every operation is driven by a test below")
    }

    /// The purchase operation documents exactly the refusals of `PurchaseRefusal`, each under its status: adding a
    /// refusal to the type without documenting it (or documenting a code the route never answers) fails here.
    @Test func thePurchaseOperationDocumentsExactlyThePurchaseRefusals() throws {
        let api = try OpenAPIConformance(json: OpenAPIDocument.unit())
        let purchase = api.problemResponses.filter { $0.operation == "POST /v1/sales/{sale}/purchases" }
        let documented = purchase.flatMap(\.codes)
        // Answers any route may give, outside the purchase's own decision: a server fault.
        let anyRoute: Set<String> = [ProblemCode.internalError.rawValue]
        #expect(Set(documented).subtracting(anyRoute) == Set(PurchaseRefusal.allCases.map(\.rawValue)))
        for refusal in PurchaseRefusal.allCases {
            let statuses = purchase.filter { $0.codes.contains(refusal.rawValue) }.map(\.status)
            #expect(statuses == [String(ProblemCode(refusal).status.code)], "\(refusal.rawValue) under \(statuses)")
        }
    }

    @Test func theCheckerRefusesAnUndocumentedMemberStatusOrHeader() async throws {
        // The shipped document, broken three ways: OrderView loses `payBy`, the purchase loses its 410, and the
        // 201's Location must be a URL it is not. Real answers of a real unit must then be reported.
        var json = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.unit()) as? [String: Any])
        var components = try #require(json["components"] as? [String: Any])
        var schemas = try #require(components["schemas"] as? [String: Any])
        var order = try #require(schemas["OrderView"] as? [String: Any])
        var properties = try #require(order["properties"] as? [String: Any])
        properties["payBy"] = nil
        order["properties"] = properties
        schemas["OrderView"] = order
        components["schemas"] = schemas
        var headers = try #require(components["headers"] as? [String: Any])
        headers["Location"] = ["required": true, "schema": ["type": "string", "pattern": "^https://"]]
        components["headers"] = headers
        json["components"] = components
        var paths = try #require(json["paths"] as? [String: Any])
        var purchases = try #require(paths["/v1/sales/{sale}/purchases"] as? [String: Any])
        var post = try #require(purchases["post"] as? [String: Any])
        var responses = try #require(post["responses"] as? [String: Any])
        responses["410"] = nil
        post["responses"] = responses
        purchases["post"] = post
        paths["/v1/sales/{sale}/purchases"] = purchases
        json["paths"] = paths
        let broken = try OpenAPIConformance(json: try JSONSerialization.data(withJSONObject: json))

        let unit = try TestUnit(stock: 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let uri = "/v1/sales/\(TestUnit.saleID)/purchases?user=alice"
            let created = try await client.execute(uri: uri, method: .post)
            #expect(created.status == .created)
            let found = broken.violations(created, method: .post, uri: uri)
            #expect(found.contains { $0.contains("$.payBy") && $0.contains("additionalProperties") }, "\(found)")
            #expect(found.contains { $0.contains("header Location") }, "\(found)")
            let soldOut = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=bob", method: .post)
            #expect(soldOut.status == .gone)
            #expect(broken.violations(soldOut, method: .post, uri: uri).contains { $0.contains("410 is not documented") })
            // The shipped document accepts both answers.
            let shipped = try OpenAPIConformance(json: OpenAPIDocument.unit())
            #expect(shipped.violations(created, method: .post, uri: uri) == [])
            #expect(shipped.violations(soldOut, method: .post, uri: uri) == [])
        }
    }

    // MARK: Every operation, every practical answer

    @Test func purchasesAnswerAsDocumented() async throws {
        let sale = "/v1/sales/\(TestUnit.saleID)/purchases"
        let open = try TestUnit(stock: 2, peers: [Self.peer], blacklist: [Self.user(ownedBy: TestUnit.unitID, skip: 5)])
        defer { open.remove() }
        let api = try await checked(open) { unit in
            let mine = Self.user(ownedBy: TestUnit.unitID)
            var keyed = HTTPFields()
            keyed[Self.idempotencyKey] = "key-1"
            let created = try await unit.call(.post, "\(sale)?user=\(mine)", headers: keyed, expect: .created)
            #expect(created.headers[.location] == "/v1/orders/\(try created.decoded(OrderView.self).id)")
            let replayed = try await unit.call(.post, "\(sale)?user=\(mine)", headers: keyed, expect: .created)
            #expect(replayed.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            try await unit.call(.post, "/v1/sales/\(TestUnit.otherSaleID)/purchases?user=\(mine)", headers: keyed,
                                expect: .unprocessableContent, code: .idempotencyKeyMismatch)
            let again = try await unit.call(.post, "\(sale)?user=\(mine)", expect: .conflict, code: .alreadyBought)
            #expect(try again.decoded(Problem.self).order?.id == (try created.decoded(OrderView.self).id))
            try await unit.call(.post, "\(sale)?user=\(Self.user(ownedBy: TestUnit.unitID, skip: 1))", expect: .created)
            try await unit.call(.post, "\(sale)?user=\(Self.user(ownedBy: TestUnit.unitID, skip: 2))",
                                expect: .gone, code: .soldOut)
            var badKey = HTTPFields()
            badKey[Self.idempotencyKey] = "two words"
            try await unit.call(.post, "\(sale)?user=x", headers: badKey, expect: .badRequest, code: .invalidInput)
            // The other sale still has its one unit: each refusal below comes before stock is looked at.
            let tablet = "/v1/sales/\(TestUnit.otherSaleID)/purchases"
            try await unit.call(.post, tablet, expect: .badRequest, code: .invalidInput)
            try await unit.call(.post, tablet, headers: [.contentType: "application/json"], body: Data(#"{"buyer": 1}"#.utf8),
                                expect: .badRequest, code: .invalidInput)
            try await unit.call(.post, "\(tablet)?user=\(Self.user(ownedBy: Self.peer))", expect: .misdirectedRequest, code: .wrongUnit)
            try await unit.call(.post, "\(tablet)?user=\(Self.user(ownedBy: TestUnit.unitID, skip: 5))", expect: .forbidden,
                                code: .blacklisted)
            try await unit.call(.post, tablet, headers: [.contentType: "application/json"], body: Data(#"{"user": "\#(mine)"}"#.utf8),
                                expect: .created)
            try await unit.call(.post, "/v1/sales/nope/purchases?user=\(mine)", expect: .notFound, code: .unknownSale)
        }

        let now = Date().millisecondsSince1970
        for (terms, status, code) in [
            ((now + 600_000, now + 3_600_000), HTTPResponse.Status.forbidden, ProblemCode.saleNotStarted),
            ((now - 7_200_000, now - 3_600_000), .conflict, .saleEnded),
        ] {
            let unit = try TestUnit(stock: 1, startsAtMs: terms.0, endsAtMs: terms.1)
            defer { unit.remove() }
            _ = try await checked(unit, api: api) { unit in
                let refused = try await unit.call(.post, "\(sale)?user=alice", expect: status, code: code)
                if code == .saleNotStarted {
                    let problem = try refused.decoded(Problem.self)
                    let startsAt = try #require(problem.startsAt).timeIntervalSince1970
                    #expect(abs(startsAt - Double(terms.0) / 1000) < 1)
                    #expect(refused.headers[.retryAfter] == problem.retryAfterSeconds.map(String.init))
                }
            }
        }

        let filtered = try TestUnit(
            stock: 5,
            admission: AdmissionRules(
                requireToken: true, ipRate: RateLimit(perMinute: 1, burst: 3), captchaDifficulty: 1_000,
                eligibility: EligibilityRules(minLevel: 2)),
            tokenKeys: [Self.signing.publicKey])
        defer { filtered.remove() }
        _ = try await checked(filtered, api: api) { unit in
            let answer = try await unit.call(.post, sale, expect: .unauthorized, code: .tokenRequired)
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
            try await unit.call(.post, sale, headers: [.authorization: "Bearer \(try await Self.token("bob", region: "us-east"))"],
                                expect: .misdirectedRequest, code: .wrongRegion)
            try await unit.call(.post, sale, headers: [.authorization: "Bearer \(try await Self.token("bob", level: 1))"],
                                expect: .forbidden, code: .levelTooLow)
            // The address's bucket is empty now (burst 3): the next attempt is refused before anything else.
            let limited = try await unit.call(.post, sale, expect: .tooManyRequests, code: .rateLimited)
            #expect(limited.headers[.retryAfter] != nil)
        }

        let captcha = try TestUnit(stock: 5, admission: AdmissionRules(captchaDifficulty: 1_000))
        defer { captcha.remove() }
        _ = try await checked(captcha, api: api) { unit in
            try await unit.call(.post, "\(sale)?user=alice", expect: .forbidden, code: .captchaRequired)
        }

        let paused = try TestUnit(stock: 5)
        defer { paused.remove() }
        try Self.rewriteConfig(paused) { config in
            for index in config.sales.indices { config.sales[index].terms.paused = true }
        }
        _ = try await checked(paused, api: api) { unit in
            let answer = try await unit.call(.post, "\(sale)?user=alice", expect: .serviceUnavailable, code: .salePaused)
            #expect(answer.headers[.retryAfter] == "5")
        }

        // Stock left at the config-center while this unit has none: a gossiping unit says stock is on its way.
        let moving = try TestUnit(stock: 1, peers: [Self.peer], clusterSecret: "a-cluster-secret-for-the-tests")
        defer { moving.remove() }
        try Self.rewriteConfig(moving) { config in
            for index in config.sales.indices {
                config.sales[index].centerRow = LedgerRow(minted: 10, grantedTo: [NodeID(TestUnit.unitID): 1])
            }
        }
        _ = try await checked(moving, api: api) { unit in
            try await unit.call(.post, "\(sale)?user=\(Self.user(ownedBy: TestUnit.unitID))", expect: .created)
            try await unit.call(.post, "\(sale)?user=\(Self.user(ownedBy: TestUnit.unitID, skip: 1))",
                                expect: .serviceUnavailable, code: .rebalancing)
        }

        // A unit on a new database sells nothing until it has its counters back from the cluster.
        let fresh = TestRun.folder + "/unit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        var logger = Logger(label: "openapi-test")
        logger.logLevel = .critical
        let recovering = try await UnitServer.application(
            settings: UnitSettings(
                unit: TestUnit.unitID, region: TestUnit.region, port: 0, dataDirectory: fresh, centerURL: "http://127.0.0.1:1",
                reportInterval: .seconds(60)),
            logger: logger)
        try await recovering.testLive { client in
            let unit = try await CheckedUnit(client: client, api: api)
            let answer = try await unit.call(.post, "\(sale)?user=alice", expect: .serviceUnavailable, code: .unitRecovering)
            #expect(answer.headers[.retryAfter] == "1")
        }

        #expect(api.unseen(operations: Self.groups["purchases"]).filter(Self.drivenHere) == [])
    }

    @Test func salesChallengesAndTheDocumentItselfAnswerAsDocumented() async throws {
        // A frozen clock: the challenge rate's tokens do not come back while the test fetches.
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(
            stock: 3, admission: AdmissionRules(ipRate: RateLimit(perMinute: 60, burst: 30), captchaDifficulty: 5_000),
            nowMs: { clock.nowMs })
        defer { unit.remove() }
        let api = try await checked(unit) { unit in
            let health = try await unit.call(.get, "/healthz", expect: .ok)
            #expect(String(buffer: health.body) == #"{"status":"ok"}"#)
            let sales = try await unit.call(.get, "/v1/sales", expect: .ok)
            #expect(try sales.decoded([SaleView].self).map(\.id) == [TestUnit.saleID, TestUnit.otherSaleID])
            let one = try await unit.call(.get, "/v1/sales/\(TestUnit.saleID)", expect: .ok)
            #expect(try one.decoded(SaleView.self).stockLeft == 3)
            try await unit.call(.get, "/v1/sales/nope", expect: .notFound, code: .unknownSale)
            let challenge = try await unit.call(.get, "/v1/sales/\(TestUnit.saleID)/challenge", expect: .ok)
            #expect(challenge.headers[.cacheControl] == "no-store")
            #expect(try challenge.decoded(ProofOfWorkChallenge.self).maxNumber >= 5_000)
            try await unit.call(.get, "/v1/sales/\(TestUnit.otherSaleID)/challenge", expect: .notFound, code: .notFound)
            try await unit.call(.get, "/v1/sales/nope/challenge", expect: .notFound, code: .unknownSale)
            // One client address fetches challenges at the sale's address rate, a burst of 30 (one was above): the 31st
            // is rate-limited.
            for _ in 0..<29 { try await unit.call(.get, "/v1/sales/\(TestUnit.saleID)/challenge", expect: .ok) }
            let limited = try await unit.call(
                .get, "/v1/sales/\(TestUnit.saleID)/challenge", expect: .tooManyRequests, code: .rateLimited)
            #expect(limited.headers[.retryAfter] != nil)

            // A route the document does not have: 404 not-found. A method a documented path does not serve: 405
            // method-not-allowed, with Allow naming the methods it does.
            try await unit.call(.get, "/v2/nothing", expect: .notFound, code: .notFound)
            let delete = try await unit.call(.delete, "/v1/sales", expect: .methodNotAllowed, code: .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET")
            let put = try await unit.call(.put, "/v1/orders/stream", expect: .methodNotAllowed, code: .methodNotAllowed)
            #expect(put.headers[.allow] == "GET")
            let get = try await unit.call(.get, "/v1/orders/o-1/pay", expect: .methodNotAllowed, code: .methodNotAllowed)
            #expect(get.headers[.allow] == "POST")
        }
        // An hour before its start a sale issues no challenge yet.
        let later = try TestUnit(
            stock: 3, startsAtMs: Date().millisecondsSince1970 + 3_600_000, admission: AdmissionRules(captchaDifficulty: 5_000))
        defer { later.remove() }
        _ = try await checked(later, api: api) { unit in
            let early = try await unit.call(
                .get, "/v1/sales/\(TestUnit.saleID)/challenge", expect: .forbidden, code: .saleNotStarted)
            #expect(early.headers[.retryAfter] != nil)
        }
        #expect(api.seenAnswers.contains("GET /openapi.json 200"))
        #expect(api.unseen(operations: Self.groups["sales"]).filter(Self.drivenHere) == [])
    }

    @Test func theOrderLogAnswersAsDocumented() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        let api = try await checked(unit) { unit in
            let consumer = TestUnit.consumer
            let empty = try await unit.call(.get, "/v1/orders", headers: consumer, expect: .ok)
            #expect(try empty.decoded(OrderPage.self) == OrderPage(orders: [], next: nil))
            var made: [OrderView] = []
            for user in ["ann", "ben", "cy"] {
                made.append(try await unit.call(.post, "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", expect: .created)
                    .decoded(OrderView.self))
            }
            let ids = made.map(\.id)
            // The log is the fulfilment consumers': without the orders credential, or with another, nothing.
            for headers: HTTPFields in [[:], [.authorization: "Bearer not-the-credential"], TestUnit.orderSecret(made[0].orderSecret)] {
                let refused = try await unit.call(.get, "/v1/orders", headers: headers, expect: .unauthorized, code: .unauthorized)
                #expect(refused.headers[.wwwAuthenticate] == "Bearer")
                try await unit.call(.get, "/v1/orders/stream", headers: headers, expect: .unauthorized, code: .unauthorized)
            }
            let page = try await unit.call(.get, "/v1/orders?count=2", headers: consumer, expect: .ok).decoded(OrderPage.self)
            #expect(page.orders.map(\.id) == Array(ids.prefix(2)) && page.next == ids[1])
            #expect(page.orders.allSatisfy { $0.orderSecret == nil }, "the log never shows an order's secret")
            let end = try await unit.call(.get, "/v1/orders?after=\(ids[2])", headers: consumer, expect: .ok).decoded(OrderPage.self)
            #expect(end.orders.isEmpty && end.next == ids[2])
            try await unit.call(.get, "/v1/orders?count=0", headers: consumer, expect: .badRequest, code: .invalidInput)
            try await unit.call(.get, "/v1/orders?after=us-east-1-1-0", headers: consumer, expect: .badRequest, code: .invalidInput)
            try await unit.call(.get, "/v1/orders/stream?after=nope", headers: consumer, expect: .badRequest, code: .invalidInput)
            // One order: for its buyer (its secret) and for consumers; a name proves nothing.
            let order = try await unit.call(.get, "/v1/orders/\(ids[0])", headers: TestUnit.orderSecret(made[0].orderSecret), expect: .ok)
                .decoded(OrderView.self)
            #expect(order.status == .reserved && order.payBy != nil && order.orderSecret == nil)
            #expect(try await unit.call(.get, "/v1/orders/\(ids[0])", headers: consumer, expect: .ok).decoded(OrderView.self) == order)
            try await unit.call(.get, "/v1/orders/\(ids[0])?user=ann", expect: .unauthorized, code: .tokenRequired)
            try await unit.call(
                .get, "/v1/orders/\(ids[0])", headers: TestUnit.orderSecret(made[1].orderSecret), expect: .unauthorized,
                code: .tokenRequired)
            try await unit.call(.get, "/v1/orders/nope", expect: .badRequest, code: .invalidInput)
            try await unit.call(.get, "/v1/orders/us-east-1-1-0", expect: .notFound, code: .unknownOrder)
            try await unit.call(.get, "/v1/orders/\(TestUnit.unitID)-1-0", expect: .notFound, code: .unknownOrder)

            // The live stream: checked as it arrives (status, media type, headers), then each event's data.
            let port = try #require(unit.client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/orders/stream?after=\(ids[0])")
            request.headers.add(name: "Authorization", value: "Bearer \(TestUnit.ordersCredential)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var text = ""
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if text.components(separatedBy: "\n\n").filter({ $0.contains("data: ") }).count >= 2 { break }
            }
            let headers = response.headers.map { (name: $0.name, value: $0.value) }
            let found = unit.api.violations(
                method: "GET", uri: "/v1/orders/stream", status: Int(response.status.code), headers: headers, body: Data(text.utf8))
            #expect(found == [])
            let events = text.components(separatedBy: "\n\n").filter { $0.contains("data: ") }
            #expect(events.count == 2)
            for event in events {
                let lines = event.split(separator: "\n")
                #expect(lines.contains("event: order"))
                let data = try #require(lines.first { $0.hasPrefix("data: ") }).dropFirst(6)
                #expect(unit.api.errors(Data(data.utf8), component: "OrderView") == [])
            }
            #expect(events.first?.contains("id: \(ids[1])") == true)
        }
        #expect(api.unseen(operations: Self.groups["orders"]).filter(Self.drivenHere) == [])
    }

    @Test func payingAndCancellingAnswerAsDocumented() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let open = try TestUnit(stock: 5, peers: [Self.peer], paymentWindowMs: 60_000, nowMs: { clock.nowMs })
        defer { open.remove() }
        let api = try await checked(open) { unit in
            func buy(_ user: String) async throws -> OrderView {
                try await unit.call(.post, "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", expect: .created)
                    .decoded(OrderView.self)
            }
            func status(_ order: OrderView) async throws -> OrderStatus {
                try await unit.call(.get, "/v1/orders/\(order.id)", headers: TestUnit.consumer, expect: .ok).decoded(OrderView.self).status
            }
            @discardableResult
            func pay(_ id: String, _ headers: HTTPFields, body: String = "", expect: HTTPResponse.Status, code: ProblemCode? = nil)
                async throws -> TestResponse
            {
                try await unit.call(.post, "/v1/orders/\(id)/pay", headers: headers, body: Data(body.utf8), expect: expect, code: code)
            }
            @discardableResult
            func cancel(_ id: String, _ headers: HTTPFields, expect: HTTPResponse.Status, code: ProblemCode? = nil)
                async throws -> TestResponse
            {
                try await unit.call(.post, "/v1/orders/\(id)/cancel", headers: headers, expect: expect, code: code)
            }
            let (ann, ben, cy) = (
                Self.user(ownedBy: TestUnit.unitID), Self.user(ownedBy: TestUnit.unitID, skip: 1),
                Self.user(ownedBy: TestUnit.unitID, skip: 2)
            )
            let first = try await buy(ann)
            let second = try await buy(ben)

            // Paid only by the payment provider's signed callback; every forgery is refused and changes nothing.
            let now = clock.nowMs
            for forged: HTTPFields in [
                [:], TestUnit.orderSecret(first.orderSecret), TestUnit.payment(first.id, atMs: now, secret: "not-the-webhook-secret"),
                TestUnit.payment(second.id, atMs: now),  // another order's
                TestUnit.payment(first.id, atMs: now - 301_000), TestUnit.payment(first.id, atMs: now + 301_000),
                TestUnit.payment(first.id, body: "{\"amount\":1}", atMs: now),  // another body
                [PaymentCallback.header: "t=\(Int64.max),v1=00"], [PaymentCallback.header: "t=-1,v1="],
            ] {
                let refused = try await pay(first.id, forged, expect: .unauthorized, code: .unauthorized)
                #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(try await status(first) == .reserved)
            let paid = try await pay(first.id, TestUnit.payment(first.id, body: "{\"amount\":1}", atMs: now), body: "{\"amount\":1}", expect: .ok)
            #expect(try paid.decoded(OrderView.self).status == .paid && paid.decoded(OrderView.self).payBy == nil)
            try await pay(first.id, TestUnit.payment(first.id, atMs: now), expect: .ok)
            let refused = try await cancel(first.id, TestUnit.orderSecret(first.orderSecret), expect: .conflict, code: .orderPaid)
            #expect(try refused.decoded(Problem.self).order?.status == .paid)
            try await pay("nope", TestUnit.payment("nope", atMs: now), expect: .badRequest, code: .invalidInput)
            try await pay("us-east-1-1-0", TestUnit.payment("us-east-1-1-0", atMs: now), expect: .notFound, code: .unknownOrder)
            try await pay("\(TestUnit.unitID)-1-0", TestUnit.payment("\(TestUnit.unitID)-1-0", atMs: now), expect: .notFound, code: .unknownOrder)

            // Cancelled only by its buyer: in a sale without tokens, the order's secret; a name proves nothing.
            try await unit.call(.post, "/v1/orders/\(second.id)/cancel?user=\(ben)", expect: .unauthorized, code: .tokenRequired)
            try await cancel(second.id, TestUnit.orderSecret(first.orderSecret), expect: .unauthorized, code: .tokenRequired)
            try await cancel(second.id, TestUnit.orderSecret("0123456789abcdef0123456789abcdef"), expect: .unauthorized, code: .tokenRequired)
            #expect(try await status(second) == .reserved)
            let cancelled = try await cancel(second.id, TestUnit.orderSecret(second.orderSecret), expect: .ok)
            #expect(try cancelled.decoded(OrderView.self).status == .cancelled)
            try await cancel(second.id, TestUnit.orderSecret(second.orderSecret), expect: .ok)
            try await pay(second.id, TestUnit.payment(second.id, atMs: now), expect: .conflict, code: .orderCancelled)

            let third = try await buy(cy)
            clock.advance(byMs: 120_000)
            // Past its window, payment is refused at once; once the sweeper (every 50 ms here) has expired the order,
            // cancelling is refused too (before that a cancel may still win: both give the stock back).
            try await pay(third.id, TestUnit.payment(third.id, atMs: clock.nowMs), expect: .conflict, code: .orderExpired)
            var current = OrderStatus.reserved
            for _ in 0..<200 where current == .reserved {
                try await Task.sleep(for: .milliseconds(50))
                current = try await status(third)
            }
            #expect(current == .expired)
            try await cancel(third.id, TestUnit.orderSecret(third.orderSecret), expect: .conflict, code: .orderExpired)

            try await cancel("nope", [:], expect: .badRequest, code: .invalidInput)
            try await cancel("\(TestUnit.unitID)-1-0", [:], expect: .notFound, code: .unknownOrder)
            try await unit.call(.get, "/v1/orders/\(third.id)?user=\(cy)", expect: .unauthorized, code: .tokenRequired)
            try await unit.call(.get, "/v1/orders/nope", expect: .badRequest, code: .invalidInput)
            try await unit.call(.get, "/v1/orders/us-east-1-1-0", expect: .notFound, code: .unknownOrder)
        }

        let tokens = try TestUnit(
            stock: 5, admission: AdmissionRules(requireToken: true, ipRate: RateLimit(perMinute: 1, burst: 6)),
            tokenKeys: [Self.signing.publicKey])
        defer { tokens.remove() }
        _ = try await checked(tokens, api: api) { unit in
            let token = try await Self.token("dana")
            let someoneElse = try await Self.token("erin")
            let order = try await unit.call(
                .post, "/v1/sales/\(TestUnit.saleID)/purchases", headers: [.authorization: "Bearer \(token)"], expect: .created
            ).decoded(OrderView.self)
            let cancel = "/v1/orders/\(order.id)/cancel"
            let refused = try await unit.call(.post, cancel, expect: .unauthorized, code: .tokenRequired)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            try await unit.call(.post, cancel, headers: [.authorization: "Bearer not-a-jwt"], expect: .unauthorized, code: .tokenInvalid)
            try await unit.call(
                .get, "/v1/orders/\(order.id)", headers: [.authorization: "Bearer \(someoneElse)"], expect: .forbidden,
                code: .notOrderOwner)
            try await unit.call(.post, cancel, headers: [.authorization: "Bearer \(someoneElse)"], expect: .forbidden, code: .notOrderOwner)
            let cancelled = try await unit.call(.post, cancel, headers: [.authorization: "Bearer \(token)"], expect: .ok)
            #expect(try cancelled.decoded(OrderView.self).status == .cancelled)
            // Six attempts from this address so far (burst 6): the seventh is refused before the token is read.
            let limited = try await unit.call(
                .get, "/v1/orders/\(order.id)", headers: [.authorization: "Bearer \(token)"], expect: .tooManyRequests,
                code: .rateLimited)
            #expect(limited.headers[.retryAfter] != nil)
            try await unit.call(.post, cancel, headers: [.authorization: "Bearer \(token)"], expect: .tooManyRequests, code: .rateLimited)
            // The order's secret is proof enough, with no token and past the address's limit.
            try await unit.call(.get, "/v1/orders/\(order.id)", headers: TestUnit.orderSecret(order.orderSecret), expect: .ok)
        }
        #expect(api.unseen(operations: Self.groups["lifecycle"]).filter(Self.drivenHere) == [])
    }

    /// Past the upload limit (2 MiB, 4 MiB for gossip) every operation with a body (purchase, payment callback,
    /// gossip) answers 413 as documented, and nothing is sold.
    @Test func aBodyOverTheUploadLimitIsRefusedAsTheClientsFault() async throws {
        let secret = "a-cluster-secret-for-the-tests"
        let unit = try TestUnit(stock: 3, peers: [Self.peer], clusterSecret: secret)
        defer { unit.remove() }
        let api = try await checked(unit) { unit in
            let body = Data(#"{"id": "\#(String(repeating: "a", count: 5 << 20))"}"#.utf8)
            let operations = unit.api.operationsWithBody
            #expect(operations.count == 5)
            for operation in operations {
                let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
                // No `?user=`: the purchase reads its buyer from the body, which is too large to read. Gossip names a
                // member as its sender: a stranger's body is not read at all (401).
                let uri = parts[1].replacing("{sale}", with: TestUnit.saleID).replacing("{order}", with: "\(TestUnit.unitID)-1-0")
                // Custody names a member, a time and a signature (checked once the body is read).
                var headers: HTTPFields = [.contentType: "application/json", GossipSenderSignature.senderHeaderName: Self.peer]
                headers[NodeRequestSignature.nodeHeader] = Self.peer
                headers[NodeRequestSignature.timeHeader] = String(Date().millisecondsSince1970)
                headers[NodeRequestSignature.signatureHeader] = String(repeating: "0", count: 128)
                try await unit.call(
                    HTTPRequest.Method(parts[0]) ?? .post, uri, headers: headers, body: body,
                    expect: .contentTooLarge, code: .payloadTooLarge)
            }
            let sale = try await unit.call(.get, "/v1/sales/\(TestUnit.saleID)", expect: .ok)
            #expect(try sale.decoded(SaleView.self).stockLeft == 3, "nothing was sold")
        }
        #expect(api.unseen(operations: api.operationsWithBody).filter { $0.hasSuffix(" 413") } == [])
    }

    @Test func gossipAnswersAsDocumented() async throws {
        let secret = "a-cluster-secret-for-the-tests"
        let seal = try #require(GossipSeal(secret: Array(secret.utf8)))
        // A frozen clock: a member's message quota does not fill again while the test floods it.
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let gossiping = try TestUnit(stock: 3, peers: [Self.peer], clusterSecret: secret, nowMs: { clock.nowMs })
        defer { gossiping.remove() }
        let api = try await checked(gossiping) { unit in
            let from = NodeID(Self.peer)
            let now = clock.nowMs
            let envelope = GossipEnvelope(
                from: from, sentAtMs: now, nonce: UUID().uuidString,
                digests: [TestKeys.signingRows(GossipDigest(
                    sale: TestUnit.saleID, from: from, rows: [from: LedgerRow()],
                    pulse: Pulse(node: from, available: 0, demandPerSecond: 0.5, heartbeatMs: now)))])
            let body = try WireJSON.encoder.encode(envelope)
            let signed = TestKeys.gossipHeaders(body, from: Self.peer, seal: seal)
            let answer = try await unit.call(.post, "/v1/gossip", headers: signed, body: body, expect: .ok)
            let reply = Data(buffer: answer.body)
            #expect(seal.verify(try #require(answer.headers[GossipSeal.headerName]), body: reply))
            #expect(try WireJSON.decoder.decode(GossipEnvelope.self, from: reply).from == NodeID(TestUnit.unitID))
            let replayed = try await unit.call(.post, "/v1/gossip", headers: signed, body: body, expect: .unauthorized, code: .unauthorized)
            #expect(replayed.headers[.wwwAuthenticate] == "Bearer")
            try await unit.call(.post, "/v1/gossip", headers: [.contentType: "application/json"], body: body,
                                expect: .unauthorized, code: .unauthorized)
            let garbage = Data(#"{"from": 1}"#.utf8)
            var signedGarbage: HTTPFields = [.contentType: "application/json"]
            signedGarbage[GossipSeal.headerName] = seal.signature(for: garbage)
            signedGarbage[GossipSenderSignature.senderHeaderName] = Self.peer
            try await unit.call(.post, "/v1/gossip", headers: signedGarbage, body: garbage, expect: .badRequest, code: .invalidInput)
            // A member that sends far more than one message a round is refused before its body is read.
            let member: HTTPFields = [.contentType: "application/json", GossipSenderSignature.senderHeaderName: Self.peer]
            for _ in 0..<Int(GossipSenderQuota.limit.burst) {
                _ = try await unit.client.execute(uri: "/v1/gossip", method: .post, headers: member, body: ByteBuffer(string: "{}"))
            }
            let flooded = try await unit.call(.post, "/v1/gossip", headers: member, body: Data("{}".utf8), expect: .tooManyRequests, code: .rateLimited)
            #expect(flooded.headers[.retryAfter] != nil)
        }
        let quiet = try TestUnit(stock: 3)
        defer { quiet.remove() }
        _ = try await checked(quiet, api: api) { unit in
            try await unit.call(.post, "/v1/gossip", headers: [.contentType: "application/json"], body: Data("{}".utf8),
                                expect: .notFound, code: .notFound)
        }
        #expect(api.unseen(operations: Self.groups["gossip"]).filter(Self.drivenHere) == [])
    }

    /// Copies between units of a region (issue 16's takeover): signed by an enrolled unit, answered under this unit's
    /// signature; accepted from the buyer's owner under this unit's view, refused otherwise; a retired unit's question
    /// answered null while it is not retired here.
    @Test func custodyAnswersAsDocumented() async throws {
        let guardian = try TestUnit(stock: 3, peers: [Self.peer], owners: [TestUnit.unitID, Self.peer])
        defer { guardian.remove() }
        let view = try #require(CustodyView(owners: [NodeID(TestUnit.unitID), NodeID(Self.peer)]))
        let buyer = try #require((0..<1_000).map { "custody-buyer-\($0)" }.first { view.owner(of: $0) == NodeID(Self.peer) })
        let api = try await checked(guardian) { unit in
            let copy = Order(id: OrderID(unit: NodeID(Self.peer), milliseconds: 1_000, sequence: 1), saleID: TestUnit.saleID, userID: buyer, idempotencyKey: "k1")
            let message = CustodyMessage(sale: TestUnit.saleID, view: view, buyers: [.init(user: buyer, version: 1, orders: [copy])])
            let body = try WireJSON.encoder.encode(CustodyCopies(message))
            let path = "/v1/custody/\(TestUnit.saleID)/copies"
            let (headers, requestSignature) = try Self.signed(body, path: path, by: Self.peer)
            let accepted = try await unit.call(.post, path, headers: headers, body: body, expect: .ok)
            #expect(try accepted.decoded(CustodyCopiesAnswer.self).isAccepted)
            #expect(CustodyAnswerSignature.isValid(
                accepted.headers[CustodyAnswerSignature.header], requestSignature: requestSignature, body: Data(buffer: accepted.body),
                publicKey: try NodeKey.loadOrCreate(file: guardian.directory + "/" + NodeKey.fileName).privateKey.publicKey))
            // From a unit that does not own the buyer (here: one that signs as the peer but sends another's buyer).
            let mine = try #require((0..<1_000).map { "custody-buyer-\($0)" }.first { view.owner(of: $0) == NodeID(TestUnit.unitID) })
            let wrong = try WireJSON.encoder.encode(CustodyCopies(CustodyMessage(sale: TestUnit.saleID, view: view, buyers: [.init(user: mine, version: 1, orders: [])])))
            let refused = try await unit.call(.post, path, headers: try Self.signed(wrong, path: path, by: Self.peer).0, body: wrong, expect: .ok)
            #expect(try refused.decoded(CustodyCopiesAnswer.self) == CustodyCopiesAnswer(.refused(.notGuardian(user: mine))))
            // Unsigned, or signed for another body.
            try await unit.call(.post, path, headers: [.contentType: "application/json"], body: body, expect: .unauthorized, code: .unauthorized)
            try await unit.call(.post, path, headers: headers, body: wrong, expect: .unauthorized, code: .unauthorized)
            let garbage = Data(#"{"retired": 1}"#.utf8)
            try await unit.call(.post, path, headers: try Self.signed(garbage, path: path, by: Self.peer).0, body: garbage, expect: .badRequest, code: .invalidInput)

            let heldPath = "/v1/custody/\(TestUnit.saleID)/held"
            let question = try WireJSON.encoder.encode(CustodyHeldQuestion(orders: [copy.id]))
            let held = try await unit.call(.post, heldPath, headers: try Self.signed(question, path: heldPath, by: Self.peer).0, body: question, expect: .ok)
            #expect(try held.decoded(CustodyHeldAnswer.self).held == nil, "the peer is not retired here")
            try await unit.call(.post, heldPath, headers: [.contentType: "application/json"], body: question, expect: .unauthorized, code: .unauthorized)
            try await unit.call(.post, heldPath, headers: try Self.signed(garbage, path: heldPath, by: Self.peer).0, body: garbage, expect: .badRequest, code: .invalidInput)

            // The copy counts: once the peer is retired, its buyer is this unit's and already holds the limit.
            try await unit.call(.post, "/v1/sales/\(TestUnit.saleID)/purchases?user=\(buyer)", expect: .misdirectedRequest, code: .wrongUnit)
        }
        #expect(api.unseen(operations: Self.groups["custody"]).filter(Self.drivenHere) == [])
    }

    /// Headers signing `body` for `path` as `node` (`NodeRequestSignature`), and the signature.
    static func signed(_ body: Data, path: String, by node: String) throws -> (HTTPFields, String) {
        var fields: HTTPFields = [.contentType: "application/json"]
        var signature = ""
        for header in try NodeRequestSignature.headers(
            node: node, key: TestKeys.key(node), method: "POST", path: path, timeMs: Date().millisecondsSince1970, body: body)
        {
            if let name = HTTPField.Name(header.name) { fields[name] = header.value }
            if header.name == NodeRequestSignature.signatureHeader.rawName { signature = header.value }
        }
        return (fields, signature)
    }

    @Test func readinessAndMetricsAnswerAsDocumented() async throws {
        let unit = try TestUnit(stock: 3)
        defer { unit.remove() }
        let api = try await checked(unit) { unit in
            let ready = try await unit.call(.get, "/readyz", expect: .ok)
            #expect(String(buffer: ready.body) == #"{"status":"ready"}"#)
            let metrics = try await unit.call(.get, "/metrics", expect: .ok)
            #expect(String(buffer: metrics.body).contains("flashsale_purchases_total{outcome=\"created\"} 0"))
        }
        // A unit on a new database whose config-center never answers (nothing listens on port 1) is not ready.
        let fresh = try TestUnit(stock: 3)
        defer { fresh.remove() }
        try FileManager.default.removeItem(atPath: fresh.directory)
        _ = try await checked(fresh, api: api) { unit in
            try await unit.call(.get, "/readyz", expect: .serviceUnavailable, code: .notReady)
            try await unit.call(.get, "/metrics", expect: .ok)
        }
        #expect(api.unseen(operations: Self.groups["operations"]).filter { !Self.unpractical.contains($0) } == [])
    }

    // MARK: Helpers

    /// Runs `body` against `unit` served on loopback, every answer checked against the document it serves. The
    /// document is read from this unit (`api` nil) or must be the one read earlier (`api`), whose record of
    /// answers seen goes on.
    private func checked(
        _ unit: TestUnit, api shared: OpenAPIConformance? = nil, _ body: @Sendable (CheckedUnit) async throws -> Void
    ) async throws -> OpenAPIConformance {
        let box = Mutex<OpenAPIConformance?>(shared)
        try await unit.withLiveUnit { client in
            let checked = try await CheckedUnit(client: client, api: shared)
            box.withLock { $0 = checked.api }
            try await body(checked)
        }
        return try #require(box.withLock { $0 })
    }

    /// The first of `user-0`, `user-1`, ... (after `skip` of them) that `owner` serves among this region's two units.
    static func user(ownedBy owner: String, skip: Int = 0) -> String {
        let users = (0..<1_000).map { "user-\($0)" }.filter {
            UnitOwnership.owner(of: $0, among: [TestUnit.unitID, peer]) == owner
        }
        return users.dropFirst(skip).first ?? "no-such-user"
    }

    static func token(_ user: String, region: String = TestUnit.region, level: Int = 3) async throws -> String {
        let now = Date().millisecondsSince1970 / 1000
        return try await signing.mint(
            BuyerClaims(
                userID: user, homeRegion: region, level: level, accountCreatedAtSeconds: now - 400 * 86_400,
                expiresAtSeconds: now + 3_600, issuedAtSeconds: now))
    }

    /// Changes the configuration `unit` will start from.
    static func rewriteConfig(_ unit: TestUnit, _ change: @escaping @Sendable (inout ClusterConfig) -> Void) throws {
        let pool = try UnitDatabase.open(path: unit.databasePath)
        try pool.write { db in
            guard var config = try UnitRecords.savedConfig(db) else { return }
            change(&config)
            try UnitRecords.save(config, db)
        }
        try pool.close()
    }
}

/// A live unit's test client whose every answer is checked against the unit's OpenAPI document.
struct CheckedUnit: Sendable {
    let client: any TestClientProtocol
    let api: OpenAPIConformance

    /// Reads GET /openapi.json (it must be the shipped document, as application/json) and checks that answer too.
    init(client: any TestClientProtocol, api shared: OpenAPIConformance?) async throws {
        self.client = client
        let response = try await client.execute(uri: "/openapi.json", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        let bytes = Data(buffer: response.body)
        #expect(bytes == OpenAPIDocument.unit(), "the unit serves the shipped document")
        api = try shared ?? OpenAPIConformance(json: bytes)
        #expect(api.violations(response, method: .get, uri: "/openapi.json") == [])
    }

    /// Sends the request and checks the answer: documented, and the status (and problem code) the test expects.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: Data? = nil,
        expect status: HTTPResponse.Status, code: ProblemCode? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        let violations = api.violations(response, method: method, uri: uri)
        #expect(violations == [], "\(violations.joined(separator: "\n"))", sourceLocation: sourceLocation)
        #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
        if let code {
            #expect(try response.decoded(Problem.self).code == code, sourceLocation: sourceLocation)
        }
        return response
    }
}

extension OpenAPIConformance {
    /// Checks a HummingbirdTesting answer.
    func violations(_ response: TestResponse, method: HTTPRequest.Method, uri: String) -> [String] {
        violations(
            method: method.rawValue, uri: uri, status: Int(response.status.code),
            headers: response.headers.map { (name: $0.name.rawName, value: $0.value) }, body: Data(buffer: response.body))
    }
}
