// The command-line flags of `ConnectionLimits`, shared by `flashsale-unit` and `config-center serve`.

public import ArgumentParser

/// `--max-connections`, `--max-connections-per-address`, `--request-timeout-seconds`, `--idle-timeout-seconds`.
public struct ConnectionLimitOptions: ParsableArguments {
    public init() {}

    @Option(help: "Connections held at once, in total; more are closed as they arrive (keep below the open-files limit).")
    public var maxConnections: Int = ConnectionLimits().maxConnections

    @Option(help: "Connections held at once from one client address (IPv4, or IPv6 /64): one client cannot take them all.")
    public var maxConnectionsPerAddress: Int = ConnectionLimits().maxConnectionsPerAddress

    @Option(help: "Seconds a request's head has from its first byte, and its body may stall while read: then it is closed.")
    public var requestTimeoutSeconds: Double = 10

    @Option(help: "Seconds a connection with no request under way (new, or kept alive) may wait for the next one.")
    public var idleTimeoutSeconds: Double = 60

    /// The limits these flags ask for; a validation error names the flag that is out of range.
    public func limits() throws -> ConnectionLimits {
        guard requestTimeoutSeconds.isFinite, idleTimeoutSeconds.isFinite,
            (0.1...3_600).contains(requestTimeoutSeconds), (0.1...3_600).contains(idleTimeoutSeconds)
        else { throw ValidationError("--request-timeout-seconds and --idle-timeout-seconds must be 0.1-3600") }
        let limits = ConnectionLimits(
            maxConnections: maxConnections, maxConnectionsPerAddress: maxConnectionsPerAddress,
            requestTimeout: .milliseconds(Int64(requestTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(idleTimeoutSeconds * 1000)))
        if let problem = limits.problem { throw ValidationError("--max-connections: \(problem)") }
        return limits
    }
}
