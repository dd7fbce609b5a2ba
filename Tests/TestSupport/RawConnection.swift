// A blocking TCP client that sends bytes as written: for half-sent requests, pipelining, chunks and 100-continue.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One plain TCP connection to a loopback server, closed when released.
public final class RawConnection {
    public let fd: Int32

    public init(port: Int) throws {
        guard let fd = Loopback.connect(to: port) else { throw CancellationError() }
        self.fd = fd
    }

    deinit { close(fd) }

    public func send(_ text: String) { Loopback.send(fd, text) }

    /// Closes the sending side only (`shutdown(SHUT_WR)`): the server reads the end of the stream, answers still come.
    public func closeSending() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Sends `text` over and over without reading, for at most `limit`, until the server stops taking bytes for
    /// `stall` or `maxBytes` went out; the bytes it took.
    public func flood(_ text: String, maxBytes: Int, stall: Duration, limit: Duration) -> Int {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        let chunk = Array(String(repeating: text, count: max(1, 65_536 / max(text.utf8.count, 1))).utf8)
        let clock = ContinuousClock()
        let start = clock.now
        var lastProgress = start
        var sent = 0
        while sent < maxBytes, clock.now - start < limit, clock.now - lastProgress < stall {
            let count = chunk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
                lastProgress = clock.now
            } else {
                usleep(10_000)
            }
        }
        return sent
    }

    /// Reads until the server closes the connection or `limit` passes: how long that took (nil: still open), and
    /// everything received.
    public func waitForClose(limit: Duration) -> (Duration?, String) {
        read(limit: limit) { _ in false }
    }

    /// Reads until what was received contains `text`, the server closes, or `limit` passes; everything received.
    public func read(until text: String, limit: Duration) -> String {
        read(limit: limit) { $0.contains(text) }.1
    }

    private func read(limit: Duration, until done: (String) -> Bool) -> (Duration?, String) {
        let clock = ContinuousClock()
        let start = clock.now
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while clock.now - start < limit {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return (clock.now - start, String(decoding: received, as: UTF8.self)) }
            received += buffer[0..<count]
            if done(String(decoding: received, as: UTF8.self)) { return (nil, String(decoding: received, as: UTF8.self)) }
        }
        return (nil, String(decoding: received, as: UTF8.self))
    }

    public var isOpen: Bool { Loopback.isOpen(fd) }
}
