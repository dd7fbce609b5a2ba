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
