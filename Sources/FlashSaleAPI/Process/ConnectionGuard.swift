// Every connection of a server counted by client address, and closed when it is over a limit or too slow.

public import HummingbirdCore
import HummingbirdTLS
import Logging
public import NIOCore
public import NIOHTTP1
import NIOHTTPTypesHTTP1
public import NIOSSL
import Synchronization

/// The connections one server holds, in total and by client address. One gate per server; each connection's
/// `ConnectionGuardHandler` takes a slot when it opens and gives it back when it closes.
public final class ConnectionGate: Sendable {
    public let limits: ConnectionLimits
    /// Proxies whose connections are held to the total only: every buyer behind a load balancer shares its address.
    public let trustedProxies: TrustedProxies
    private let counts = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))

    public init(limits: ConnectionLimits, trustedProxies: TrustedProxies = .none) {
        self.limits = limits
        self.trustedProxies = trustedProxies
    }

    /// The HTTP/1 server with this gate on every connection: `ConnectionGuardHandler` first in the pipeline (it sees
    /// the bytes as they come), then NIOHTTP1's encoder and parser, then the front handler, then the HTTP-types codec
    /// and Hummingbird. The front handler sees where requests and answers end and tells the guard: `front` (the
    /// unit's purchase handler, which keeps a `RequestProgress` itself), or else a `RequestProgressHandler`. The
    /// server's own idle timeout is not used: the guard times requests and idle connections itself.
    public func http1(front: (@Sendable () -> any RemovableChannelHandler)? = nil) -> HTTPServerBuilder {
        let gate = self
        let front = front ?? { RequestProgressHandler() }
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), gate: gate, front: front)
        }
    }

    /// The server with this gate on every connection, over TLS when `tls` is given: the TLS handler comes right after
    /// the guard, so the guard counts and times the connection from its first handshake byte (a client that never
    /// finishes its handshake is closed like one that never finishes its request head). `front` goes into every
    /// connection's pipeline right after NIOHTTP1's parser (`http1(front:)`).
    public func server(
        tls: TLSConfiguration?, front: (@Sendable () -> any RemovableChannelHandler)? = nil
    ) throws -> HTTPServerBuilder {
        guard let tls else { return http1(front: front) }
        return try .tls(http1(front: front), tlsConfiguration: tls)
    }

    /// Connections open now: in total, and from `address`'s key.
    public func open(from key: String? = nil) -> (total: Int, fromAddress: Int) {
        counts.withLock { counts in (counts.total, key.map { counts.byAddress[$0] ?? 0 } ?? 0) }
    }

    /// Takes a slot for a connection from `key`; false, taking nothing, when a limit is reached. A trusted proxy's
    /// connections count toward the total only.
    func admit(_ key: String, trustedProxy: Bool = false) -> Bool {
        counts.withLock { counts in
            let fromAddress = counts.byAddress[key] ?? 0
            guard counts.total < limits.maxConnections, trustedProxy || fromAddress < limits.maxConnectionsPerAddress
            else { return false }
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
}

/// HTTP/1 with a `ConnectionGuardHandler` placed before everything else in each connection's pipeline, and the front
/// handler (which keeps the connection's `RequestProgress`) between NIOHTTP1's parser and the HTTP-types codec.
struct GuardedHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let gate: ConnectionGate
    let front: @Sendable () -> any RemovableChannelHandler

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(gate: gate), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Part of the child channel's initializer: done before the channel is registered and reads a byte.
        let front = front
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(front(), position: .before(codec))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// One connection's guard: closes it at once when its client is over a limit, and when the client is too slow.
/// Every deadline is `requestTimeout` or `idleTimeout` long:
/// - a request's head must arrive whole within `requestTimeout` of its first byte (a slowloris trickling headers);
/// - while a request's body comes in, the client must send its next bytes within `requestTimeout` of the server
///   asking for them: the clock runs only while the server is reading (a server slowed by its own load, that reads
///   nothing for a while, does not count against the client);
/// - with no request under way (a new connection, or after an answer) the next request must start within
///   `idleTimeout`;
/// - while a request is being answered, however long (a long-poll, an event stream), no deadline runs.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let gate: ConnectionGate
    /// The client's key while this connection holds a slot.
    private var slot: String?
    /// When the connection is closed unless the client moves first; nil: no deadline runs.
    private var expiresAt: NIODeadline?
    /// The one timer, and when it fires. Arming a later deadline leaves it as it is; when it fires before the
    /// deadline it sets itself again for the rest. So a kept-alive connection does not schedule and cancel a task on
    /// every request (that churn of the event loop's timer heap was a tenth of the purchase path's time).
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    /// Bytes of a request have come and its end has not.
    private var reading = false
    /// The request being read has its head: what remains is its body.
    private var inBody = false
    /// The server asked for bytes (a read) and none has come since.
    private var waitingForBytes = false
    /// Requests whose head came and whose answer has not ended (an answer may also end before its request does,
    /// as a refusal of a body too large; HTTP/1 pipelining allows several).
    private var unanswered = 0
    private var context: ChannelHandlerContext?
    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount

    init(gate: ConnectionGate) {
        self.gate = gate
        requestTimeout = TimeAmount(gate.limits.requestTimeout)
        idleTimeout = TimeAmount(gate.limits.idleTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let remote = context.channel.remoteAddress
        let key = ClientKey.of(remote)
        guard gate.admit(key, trustedProxy: gate.trustedProxies.trusts(remote)) else {
            context.close(promise: nil)
            return
        }
        slot = key
        arm(idleTimeout)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        waitingForBytes = false
        if !reading {
            // A new request's first byte: its head has `requestTimeout` from now.
            reading = true
            inBody = false
            arm(requestTimeout)
        } else if inBody {
            // The body moves: the client is not silent. The clock starts again when the server next asks.
            disarm()
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        waitingForBytes = true
        if reading, inBody, expiresAt == nil { arm(requestTimeout) }
        context.read()
    }

    /// A request's head was decoded (from the connection's `RequestProgress`): it will be answered, and its body is
    /// timed by the client's silence while the server reads.
    func requestHead() {
        unanswered += 1
        reading = true
        inBody = true
        if waitingForBytes { arm(requestTimeout) } else { disarm() }
    }

    /// A request has been read whole: it is answered with no deadline, or, already answered, the idle time starts.
    func requestEnded() {
        reading = false
        inBody = false
        if unanswered > 0 { disarm() } else { arm(idleTimeout) }
    }

    /// An answer has gone out whole: when none is left to give and no request is coming in, the idle time starts.
    func answerEnded() {
        unanswered = max(unanswered - 1, 0)
        if unanswered == 0, !reading { arm(idleTimeout) }
    }

    /// Runs twice per request (its start, its answer's end), so it reads the coarse clock (`CoarseClock`).
    private func arm(_ timeout: TimeAmount) {
        let at = CoarseClock.now() + timeout
        expiresAt = at
        if let timerAt, timerAt <= at { return }
        schedule(at)
    }

    private func disarm() {
        expiresAt = nil
    }

    /// Sets the timer for `at`: it closes the connection if its deadline has passed then, and otherwise sets itself
    /// again for the deadline (or stays unset when none runs).
    private func schedule(_ at: NIODeadline) {
        guard let context else { return }
        timer?.cancel()
        timerAt = at
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            timer = nil
            timerAt = nil
            guard let expiresAt else { return }
            if expiresAt <= .now() {
                context.close(promise: nil)
            } else {
                schedule(expiresAt)
            }
        }
    }

    /// Gives the slot back and stops the deadline, once.
    private func stop() {
        disarm()
        timer?.cancel()
        timer = nil
        timerAt = nil
        if let slot {
            gate.release(slot)
            self.slot = nil
        }
    }
}

/// Where each request and each answer of a connection ends, told to its `ConnectionGuardHandler`, and answers encoded
/// whole (`writeEncoded`) written past NIOHTTP1's encoder. Kept by the handler right after NIOHTTP1's parser, which
/// sees every request part first and every answer part last: `RequestProgressHandler`, or a server's own front
/// handler that answers some requests itself (`ConnectionGate.server(tls:front:)`), which then saves a pipeline hop
/// for every part of every request. Used on the channel's event loop only.
public struct RequestProgress {
    private var guardHandler: ConnectionGuardHandler?
    /// NIOHTTP1's encoder: bytes written on its context go on toward the socket without passing through it.
    private var encoder: ChannelHandlerContext?

    /// Nothing to tell, nowhere to write encoded answers: a handler not (or no longer) in a guarded pipeline.
    public init() {}

    /// The guard and NIOHTTP1's encoder of `context`'s pipeline (from `handlerAdded`, on the event loop).
    public init(context: ChannelHandlerContext) {
        guardHandler = try? context.pipeline.syncOperations.handler(type: ConnectionGuardHandler.self)
        encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    /// A request's part came from the parser.
    public func request(_ part: HTTPServerRequestPart) {
        switch part {
        case .head: guardHandler?.requestHead()
        case .body: break
        case .end: guardHandler?.requestEnded()
        }
    }

    /// An answer's part goes out (through NIOHTTP1's encoder).
    public func answer(_ part: HTTPServerResponsePart) {
        if case .end = part { guardHandler?.answerEnded() }
    }

    /// Whether `writeEncoded` can write: the pipeline has NIOHTTP1's encoder before the holder.
    public var writesEncoded: Bool { encoder != nil }

    /// Writes `response`, one whole HTTP/1.1 answer already encoded (status line, fields, body), and counts it as an
    /// answer's end. Between answers only (never while another is partly written). False, writing nothing, when the
    /// pipeline has no NIOHTTP1 encoder: the caller writes parts.
    public func writeEncoded(_ response: ByteBuffer) -> Bool {
        guard let encoder else { return false }
        encoder.write(NIOAny(response), promise: nil)
        guardHandler?.answerEnded()
        return true
    }

    /// Flushes what was written, from NIOHTTP1's encoder's place: the handlers between it and the one that asks hold
    /// no writes back, so this is the same flush as theirs with fewer hops. False, flushing nothing, without an encoder.
    public func flushEncoded() -> Bool {
        guard let encoder else { return false }
        encoder.flush()
        return true
    }
}

/// Right after NIOHTTP1's parser, when the server has no front handler of its own: keeps the connection's
/// `RequestProgress` (tells its guard where each request and each answer ends).
public final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    private var progress = RequestProgress()

    public init() {}

    public func handlerAdded(context: ChannelHandlerContext) {
        progress = RequestProgress(context: context)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        progress = RequestProgress()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        progress.request(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        progress.answer(unwrapOutboundIn(data))
        context.write(data, promise: promise)
    }
}
