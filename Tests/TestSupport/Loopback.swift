// Plain TCP sockets on loopback, for tests that act as clients the HTTP libraries would not be (half-sent
// requests, connections from a second address, port probes).

#if canImport(Glibc)
public import Glibc
#endif

public enum Loopback {
    /// `host`:`port` as an IPv4 socket address.
    public static func address(_ host: String = "127.0.0.1", port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }

    /// A blocking TCP connection to `host`:`port`, from the local address `source` when one is given (127.0.0.2 and
    /// up make a second client); nil when it cannot be made.
    public static func connect(to port: Int, host: String = "127.0.0.1", from source: String? = nil) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        if let source {
            var local = address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                return nil
            }
        }
        var remote = address(host, port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Sends `text` (never raising SIGPIPE on a closed connection).
    public static func send(_ fd: Int32, _ text: String) {
        guard !text.isEmpty else { return }
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Whether the peer has not closed `fd`: a read would block rather than see the end of the stream.
    public static func isOpen(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return read < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }
}
