// Every connection of a server counted by client address, and closed when it is over a limit or too slow.

public import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The connections one server holds, in total and by client address. One gate per server; each connection's
/// `ConnectionGuardHandler` takes a slot when it opens and gives it back when it closes.
public final class ConnectionGate: Sendable {
    public let limits: ConnectionLimits
    private let counts = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// The HTTP/1 server with this gate in every connection's pipeline. The server's own idle timeout is not used:
    /// the guard times requests and idle connections itself.
    public var http1: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuardHandler(gate: self)]))
    }

    /// Connections open now: in total, and from `address`'s key.
    public func open(from key: String? = nil) -> (total: Int, fromAddress: Int) {
        counts.withLock { counts in (counts.total, key.map { counts.byAddress[$0] ?? 0 } ?? 0) }
    }

    /// Takes a slot for a connection from `key`; false, taking nothing, when a limit is reached.
    func admit(_ key: String) -> Bool {
        counts.withLock { counts in
            let fromAddress = counts.byAddress[key] ?? 0
            guard counts.total < limits.maxConnections, fromAddress < limits.maxConnectionsPerAddress else { return false }
            counts.total += 1
            counts.byAddress[key] = fromAddress + 1
            return true
        }
    }

    func release(_ key: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = (counts.byAddress[key] ?? 1) - 1
            counts.byAddress[key] = left > 0 ? left : nil
        }
    }

    /// The client a limit counts: an IPv4 address, or the /64 network of an IPv6 address (one host usually owns a
    /// whole /64, so counting /128s would let it open a connection per address). IPv4-mapped IPv6 counts as IPv4.
    static func key(for address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4):
            return v4.host
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "local"
        }
    }
}

/// One connection's guard: closes it at once when its client is over a limit, and when a request does not arrive
/// in time (`requestTimeout` from the connection's opening or a request's head to that request's end;
/// `idleTimeout` from an answer's end to the next request's head). While a request is being answered, however long
/// (a long-poll, an event stream), no deadline runs.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let gate: ConnectionGate
    /// The client's key while this connection holds a slot.
    private var slot: String?
    private var deadline: Scheduled<Void>?
    /// A request's head has arrived and its end not yet.
    private var reading = false
    /// Requests read whose answer has not ended yet (HTTP/1 pipelining allows several).
    private var answering = 0
    /// Whether any answer has ended: the first request is timed from the connection's opening.
    private var answered = false

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let key = ConnectionGate.key(for: context.channel.remoteAddress)
        guard gate.admit(key) else {
            context.close(promise: nil)
            return
        }
        slot = key
        arm(context, gate.limits.requestTimeout)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            reading = true
            // A later request gets its own time for its body; the first keeps the time it had from the opening.
            if answered || answering > 0 { arm(context, gate.limits.requestTimeout) }
        case .body:
            break
        case .end:
            reading = false
            answering += 1
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            answering = max(answering - 1, 0)
            answered = true
            if answering == 0, !reading { arm(context, gate.limits.idleTimeout) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration) {
        deadline?.cancel()
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) {
            context.close(promise: nil)
        }
    }

    /// Gives the slot back and stops the deadline, once.
    private func stop() {
        deadline?.cancel()
        deadline = nil
        if let slot {
            gate.release(slot)
            self.slot = nil
        }
    }
}
