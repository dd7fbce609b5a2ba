// How many connections a server keeps, from whom, and how long a request may take to arrive.

/// Limits every server of the cluster applies to its connections, so that no client (a slowloris holding
/// half-sent requests, a bot opening thousands of sockets) can take the slots that other buyers need.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections open at once, in total: past it a new connection is closed as soon as it is accepted. Each costs a
    /// file descriptor and a little memory; keep it below the process's open-files limit.
    public var maxConnections: Int
    /// Connections open at once from one client address (an IPv4 address, or an IPv6 /64, which one host usually
    /// owns whole): one client cannot take the server's connections from the others.
    public var maxConnectionsPerAddress: Int
    /// Time a request's head has from its first byte, and its body's next bytes from the server asking for them: a
    /// client that trickles a request, or sends half of one and waits, is closed when it runs out.
    public var requestTimeout: Duration
    /// Time a connection with no request under way (a new one, or a kept-alive one after its answer) may wait for
    /// the first byte of its next request.
    public var idleTimeout: Duration

    /// Defaults for a flash sale: buyers send one small request and, at most, keep the connection for the next try.
    public init(
        maxConnections: Int = 10_000, maxConnectionsPerAddress: Int = 256, requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60)
    ) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    /// Why these limits cannot be used, or nil.
    public var problem: String? {
        guard (1...1_000_000).contains(maxConnections) else { return "the connection limit must be 1-1000000" }
        guard (1...maxConnections).contains(maxConnectionsPerAddress) else {
            return "the per-address connection limit must be 1 to the connection limit"
        }
        guard requestTimeout >= .milliseconds(100), idleTimeout >= .milliseconds(100),
            requestTimeout <= .seconds(3_600), idleTimeout <= .seconds(3_600)
        else { return "the request and idle timeouts must be 0.1-3600 seconds" }
        return nil
    }
}
