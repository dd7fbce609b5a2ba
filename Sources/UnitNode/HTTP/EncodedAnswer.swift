// A purchase answer as the bytes of one HTTP/1.1 response, written whole on the event loop.

import FlashSaleAPI
import NIOCore

/// Encodes a `WireAnswer` into one buffer: status line, its fields, `Content-Length`, `Date`, `Server` and, when the
/// connection ends after it, `Connection: close`; then the body. The purchase handler writes it past NIOHTTP1's
/// encoder (`RequestProgressHandler.writeEncoded`): one write and one buffer per answer, with no conversion to
/// HTTP-types and NIOHTTP1 heads on the way out (the sold-out path's cost is per request, so those conversions were a
/// share of it).
enum EncodedAnswer {
    /// One connection's last refusal, encoded. In a crowd nearly every answer on a connection is the same refusal
    /// (sold out, ended) within the same second: written again as the same bytes (a buffer is copied on write, so
    /// writing it again costs a reference), it is not encoded again. Created orders are never kept: each is its own.
    struct Cache {
        // Kept apart and compared in place: binding one tuple would copy (retain) every part on every answer.
        private var answer: WireAnswer?
        private var date = ""
        private var close = false
        private var encoded = ByteBuffer()

        mutating func bytes(
            _ answer: WireAnswer, date: String, server: String, close: Bool, allocator: ByteBufferAllocator
        ) -> ByteBuffer {
            if self.answer?.status == answer.status, self.close == close, self.date == date,
                self.answer?.body == answer.body, self.answer?.headers == answer.headers
            {
                return encoded
            }
            let bytes = EncodedAnswer.bytes(answer, date: date, server: server, close: close, allocator: allocator)
            if answer.status != .created {
                (self.answer, self.date, self.close, encoded) = (answer, date, close, bytes)
            }
            return bytes
        }
    }

    static func bytes(
        _ answer: WireAnswer, date: String, server: String, close: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 192 + answer.body.readableBytes + 64 * answer.headers.count)
        buffer.writeStaticString("HTTP/1.1 ")
        // A small string (under 16 bytes) is stored inline: no allocation.
        buffer.writeString(String(answer.status.code))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(answer.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in answer.headers {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(answer.body.readableBytes))
        buffer.writeStaticString("\r\nDate: ")
        buffer.writeString(date)
        buffer.writeStaticString("\r\nServer: ")
        buffer.writeString(server)
        buffer.writeStaticString(close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n")
        buffer.writeImmutableBuffer(answer.body)
        return buffer
    }
}
