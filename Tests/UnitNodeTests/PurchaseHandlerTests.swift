// The purchase handler on the event loop speaks HTTP/1.1 as Hummingbird did: pipelining in order, chunked bodies,
// 100-continue, Connection: close, the body limit.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HummingbirdTesting
import Testing
import TestSupport
@testable import UnitNode

@Suite struct PurchaseHandlerTests {
    static let purchases = "/v1/sales/\(TestUnit.saleID)/purchases"

    /// The status codes of the answers in `text`, in the order they came.
    static func statuses(_ text: String) -> [Int] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }

    /// Runs `body` with a raw connection to a live unit selling `stock`. The blocking socket calls run on a thread
    /// of their own: on the concurrency pool they would starve the unit's writer and Hummingbird's routes.
    private func withConnection(stock: Int64, _ body: @escaping @Sendable (RawConnection) throws -> Void) async throws {
        let unit = try TestUnit(stock: stock)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                Thread.detachNewThread {
                    continuation.resume(with: Result { try body(try RawConnection(port: port)) })
                }
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInTheirOrderWhoeverAnswersThem() async throws {
        try await withConnection(stock: 1) { connection in
            // One write: a purchase whose 201 waits on the commit (what follows is held), a refusal written once it
            // is, Hummingbird's route (it must see the sale after the order), a purchase behind it (passed on to the
            // Hummingbird route, which answers it the same way), and a last request that closes.
            connection.send(
                "POST \(Self.purchases)?user=alice HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST \(Self.purchases)?user=bob HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /v1/sales/\(TestUnit.saleID) HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST \(Self.purchases)?user=carol HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let (closed, text) = connection.waitForClose(limit: .seconds(20))
            #expect(closed != nil, "Connection: close ends the connection")
            #expect(Self.statuses(text) == [201, 410, 200, 410, 200], "\(text)")
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0 }
            try #require(answers.count == 5)
            #expect(answers[2].contains(#""stockLeft":0"#), "the sale was read after the order: \(answers[2])")
            #expect(answers[0].lowercased().contains("location: /v1/orders/"))
            #expect(answers[1].contains("sold-out") && answers[3].contains("sold-out"))
            for answer in answers {
                #expect(answer.lowercased().contains("server: flashsale-unit"), "\(answer)")
                #expect(answer.lowercased().contains("date: "), "\(answer)")
            }
        }
    }

    @Test func aChunkedBodyNamesTheBuyer() async throws {
        try await withConnection(stock: 2) { connection in
            connection.send(
                "POST \(Self.purchases) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n7\r\n{\"user\"\r\n9\r\n:\"carol\"}\r\n0\r\n\r\n")
            let text = connection.read(until: "\"user\":\"carol\"", limit: .seconds(20))
            #expect(Self.statuses(text) == [201], "\(text)")
        }
    }

    @Test func aClientThatExpects100ContinueGetsItThenItsAnswer() async throws {
        try await withConnection(stock: 2) { connection in
            let body = #"{"user":"dave"}"#
            connection.send(
                "POST \(Self.purchases) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = connection.read(until: "\r\n\r\n", limit: .seconds(20))
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            connection.send(body)
            let text = connection.read(until: "\"user\":\"dave\"", limit: .seconds(20))
            #expect(Self.statuses(text) == [201], "\(text)")
        }
    }

    @Test func aBodyOverTheLimitIs413OnlyWhenItWasNeeded() async throws {
        let big = #"{"user":"erin","pad":""# + String(repeating: "x", count: PurchaseFront.bodyMaxBytes) + #""}"#
        try await withConnection(stock: 1) { connection in
            connection.send(
                "POST \(Self.purchases) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(big.utf8.count)\r\n\r\n" + big
                    // Named in the query: the body is not read for the buyer, and the order is made.
                    + "POST \(Self.purchases)?user=frank HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(big.utf8.count)\r\nConnection: close\r\n\r\n" + big)
            let (_, text) = connection.waitForClose(limit: .seconds(30))
            #expect(Self.statuses(text) == [413, 201], "\(text.prefix(2_000))")
            #expect(text.contains("payload-too-large"))
        }
    }

    @Test func aBadBodyOrKeyIs400AndChangesNothing() async throws {
        try await withConnection(stock: 1) { connection in
            connection.send(
                "POST \(Self.purchases) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"user\":"
                    + "POST \(Self.purchases)?user=gina HTTP/1.1\r\nHost: t\r\nIdempotency-Key: has space\r\n\r\n"
                    + "POST \(Self.purchases)?user=gina HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let (_, text) = connection.waitForClose(limit: .seconds(20))
            #expect(Self.statuses(text) == [400, 400, 201], "\(text)")
        }
    }

    @Test func aClientThatClosesItsSendingSideStillGetsItsOrder() async throws {
        try await withConnection(stock: 2) { connection in
            // The 201 waits on the commit while the end of the client's stream arrives: it must still be written.
            connection.send(
                "POST \(Self.purchases)?user=hana HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST \(Self.purchases)?user=ivan HTTP/1.1\r\nHost: t\r\n\r\n")
            connection.closeSending()
            let (closed, text) = connection.waitForClose(limit: .seconds(20))
            #expect(closed != nil)
            #expect(Self.statuses(text) == [201, 201], "\(text)")
        }
    }

    @Test func aClientThatNeverReadsIsNotReadEither() async throws {
        try await withConnection(stock: 1) { connection in
            // Every request is refused at once with a few hundred bytes. A client that sends without reading would
            // make the answers pile up in the unit's memory if it kept reading; it stops while it cannot write, so
            // the bytes it takes stay within what the kernel buffers on both sides.
            let request = "POST \(Self.purchases)?user=x HTTP/1.1\r\nHost: t\r\nIdempotency-Key: a b\r\n\r\n"
            let sent = connection.flood(request, maxBytes: 256 << 20, stall: .seconds(2), limit: .seconds(30))
            #expect(sent < 64 << 20, "the unit took \(sent) bytes from a client that read nothing")
        }
    }

    @Test func aClientThatNeverReadsIsNotReadEitherWhenHummingbirdAnswersToo() async throws {
        try await withConnection(stock: 1) { connection in
            // Refusals the handler writes, each followed by a request Hummingbird answers: the handler asks for reads
            // itself only while Hummingbird owes nothing, so Hummingbird's own hold on reads (its buffer full, its
            // answers not taken) still stops the connection's reads.
            let request = "POST \(Self.purchases)?user=x HTTP/1.1\r\nHost: t\r\nIdempotency-Key: a b\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
            let sent = connection.flood(request, maxBytes: 256 << 20, stall: .seconds(2), limit: .seconds(30))
            #expect(sent < 64 << 20, "the unit took \(sent) bytes from a client that read nothing")
        }
    }

    @Test func onlyTheExactPurchasePathIsTakenFromTheRouter() {
        #expect(PurchaseHandler.sale(inPurchasePath: "/v1/sales/phone/purchases") == "phone")
        #expect(PurchaseHandler.sale(inPurchasePath: "/v1/sales/phone/purchases?user=a") == "phone")
        #expect(PurchaseHandler.sale(inPurchasePath: "/v1/sales/a-b-1/purchases?x=/y") == "a-b-1")
        for other in [
            "/v1/sales//purchases", "/v1/sales/purchases", "/v1/sales/a/b/purchases", "/v1/sales/phone/purchases/",
            "/v1/sales/phone/purchasesx", "/v1/sales/phone", "/v2/sales/phone/purchases", "v1/sales/phone/purchases", "",
        ] {
            #expect(PurchaseHandler.sale(inPurchasePath: other) == nil, "\(other)")
        }
    }
}
