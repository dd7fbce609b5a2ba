// A purchase answer encoded whole, and a connection's cache of its last refusal.

import FlashSaleAPI
import HTTPTypes
import NIOCore
import Testing

@testable import UnitNode

@Suite struct EncodedAnswerTests {
    private let allocator = ByteBufferAllocator()

    private func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func anAnswerIsOneWholeHTTP11Response() {
        var answer = WireAnswer(status: .gone, headers: [.contentType: "application/problem+json"], body: ByteBuffer(string: "{\"a\":1}"))
        answer.headers[.retryAfter] = "5"
        let bytes = EncodedAnswer.bytes(answer, date: "Thu, 03 Dec 2026 04:00:00 GMT", server: "unit-1", close: false, allocator: allocator)
        #expect(text(bytes) == "HTTP/1.1 410 Gone\r\nContent-Type: application/problem+json\r\nRetry-After: 5\r\nContent-Length: 7\r\nDate: Thu, 03 Dec 2026 04:00:00 GMT\r\nServer: unit-1\r\n\r\n{\"a\":1}")
        let closing = EncodedAnswer.bytes(answer, date: "d", server: "s", close: true, allocator: allocator)
        #expect(text(closing).hasSuffix("Server: s\r\nConnection: close\r\n\r\n{\"a\":1}"))
    }

    @Test func theCacheGivesBackOnlyAnIdenticalAnswer() {
        var cache = EncodedAnswer.Cache()
        let soldOut = PurchaseAnswers.soldOut
        let first = cache.bytes(soldOut, date: "d1", server: "s", close: false, allocator: allocator)
        #expect(cache.bytes(soldOut, date: "d1", server: "s", close: false, allocator: allocator) == first)
        // Any difference is encoded anew: the date, the connection closing, the body, a field, the status.
        #expect(text(cache.bytes(soldOut, date: "d2", server: "s", close: false, allocator: allocator)).contains("Date: d2\r\n"))
        #expect(text(cache.bytes(soldOut, date: "d2", server: "s", close: true, allocator: allocator)).contains("Connection: close"))
        #expect(cache.bytes(PurchaseAnswers.ended, date: "d2", server: "s", close: true, allocator: allocator)
            == EncodedAnswer.bytes(PurchaseAnswers.ended, date: "d2", server: "s", close: true, allocator: allocator))
        var later = PurchaseAnswers.ended
        later.headers[.retryAfter] = "9"
        #expect(text(cache.bytes(later, date: "d2", server: "s", close: true, allocator: allocator)).contains("Retry-After: 9\r\n"))
        var other = later
        other.status = .serviceUnavailable
        #expect(text(cache.bytes(other, date: "d2", server: "s", close: true, allocator: allocator)).hasPrefix("HTTP/1.1 503 "))
    }

    @Test func eachCreatedOrderIsWrittenWithItsOwnBody() {
        var cache = EncodedAnswer.Cache()
        let one = WireAnswer(status: .created, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"id\":\"a\"}"))
        let two = WireAnswer(status: .created, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"id\":\"b\"}"))
        #expect(text(cache.bytes(one, date: "d", server: "s", close: false, allocator: allocator)).hasSuffix("{\"id\":\"a\"}"))
        #expect(text(cache.bytes(two, date: "d", server: "s", close: false, allocator: allocator)).hasSuffix("{\"id\":\"b\"}"))
    }
}
