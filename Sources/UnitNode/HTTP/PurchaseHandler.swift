// The purchase route on the event loop: answered without entering Swift concurrency, in front of Hummingbird.

import FlashSaleAPI
import FlashSaleCore
import NIOCore
import NIOHTTP1

/// Answers `POST /v1/sales/{sale}/purchases` on the connection's event loop and passes every other request on to
/// Hummingbird. It sits right after NIOHTTP1's parser (the connection's front handler), in front of the
/// HTTP-types codec, so keep-alive, pipelining, chunked bodies, the guard's timeouts and the parser's limits stay what
/// they were; only the purchase skips the codec's conversions, Hummingbird's router, middleware and two hops through
/// Swift concurrency, which were the unit's ceiling (DESIGN: the cost of a refusal decides how big a crowd one core
/// takes).
///
/// The decision is `PurchaseFront.decide`, synchronous. A refusal is written at once, from pre-encoded bytes for
/// the common ones. An admitted order goes to the group-commit writer, and its 201 is written when the writer hands
/// the order back, on this channel's event loop (`NIOLoopBound`): after its commit, as before. Each answer goes out
/// as one buffer, the whole HTTP/1.1 response (`EncodedAnswer`), written past NIOHTTP1's encoder. It is the
/// connection's front handler (`ConnectionGate.server(tls:front:)`): it tells the connection's guard where every
/// request and answer ends (`RequestProgress`), its own and Hummingbird's. Outside a guarded pipeline (no NIOHTTP1
/// encoder to write past, `RequestProgress.writesEncoded`) it passes every request on.
///
/// HTTP/1 answers in request order. So at any moment either Hummingbird owes answers on this connection (a purchase
/// that comes then is passed on too, and the Hummingbird route answers it with the same front), or this handler does
/// (a 201 waits on the writer): then what comes next is held (requests, the client closing its side, a graceful
/// shutdown), reads stop once a part is held, and once the answer is written the held parts are handled in order.
/// Never both, so answers cannot cross. Reads also stop while the channel is not writable: a client that sends without
/// reading cannot make answers pile up. After `Connection: close` nothing more is decided.
final class PurchaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A purchase request whose head has come.
    private struct Reading {
        var ask: PurchaseAsk
        /// The decision will read the body (`PurchaseFront.needsBody`): otherwise its bytes are dropped as they come.
        var keepsBody: Bool
        var tooLarge = false
        /// `Connection: close`: the connection ends after the answer (as Hummingbird does).
        var close: Bool
    }

    /// Where the connection is. No payload that counts references: it is read and set several times per request, and a
    /// copy of a purchase's head in it cost a retain and a release each time (the request is in `reading`).
    private enum State {
        /// Between requests.
        case idle
        /// Passing the current request's parts on to Hummingbird; `close`: it asked for `Connection: close`.
        case passing(close: Bool)
        /// A purchase's head came (`reading` holds it); its body or end is next.
        case reading
        /// A purchase was read whole and its order is being written; `close` as in `Reading`.
        case waiting(close: Bool)
        /// A request asked for `Connection: close` and was answered (or is being answered by Hummingbird): whatever
        /// comes after it is dropped, never decided (its answer could not be sent).
        case closed
    }

    private let front: PurchaseFront
    private let serverName: String
    private var state = State.idle
    /// The purchase being read, while `state` is `.reading`.
    private var reading: Reading?
    /// The body of the purchase being read, when it is kept. A property, not part of `State`, so that appending a
    /// chunk never copies what came before.
    private var body: ByteBuffer?
    /// Requests passed on to Hummingbird whose answer has not ended.
    private var hummingbirdOwes = 0
    /// Parts that came while an answer waited on the writer, handled in order once it is written.
    private var held = CircularBuffer<HTTPServerRequestPart>()
    /// Inbound events held while a purchase was under way (graceful shutdown, the client closing its side), passed on
    /// once it is answered: Hummingbird would otherwise close the connection before its 201 is written.
    private var heldEvents: [Any] = []
    private var errorHeld: (any Error)?
    /// A read asked for while parts were held behind an answer waiting on the writer, or while the client was not
    /// taking answers (the channel not writable): issued when both have passed, so a client that never reads cannot
    /// make answers, or held requests, pile up in memory.
    private var readHeld = false
    private var resuming = false
    private var needsFlush = false
    /// A part went on to Hummingbird since the last end of a read was passed on. When none did, the end of a read
    /// stops here: the handlers behind this one have nothing new to deliver, and passing it on through them cost a
    /// hop each for every refusal.
    private var passedOn = false
    private var removed = false
    private var date = HTTPDate()
    /// The last refusal written, encoded: the next one is most often the same within the second (`EncodedAnswer.Cache`).
    private var encoded = EncodedAnswer.Cache()
    /// Tells the guard where requests and answers end, and writes this handler's answers whole, past NIOHTTP1's
    /// encoder; unable to: not in a guarded pipeline, and every request is passed on.
    private var progress = RequestProgress()
    /// What the writer calls when an order of this connection is decided: made once per connection (it binds this
    /// handler to its event loop), not once per request. Dropped when the handler is removed (it holds the handler).
    private var completion: (@Sendable (PurchaseCompletion) -> Void)?
    /// The client's address, asked of the channel once (it takes the channel's lock) and kept for the connection.
    private var peer: SocketAddress?
    private var peerKnown = false
    private var allocator = ByteBufferAllocator()
    /// When the purchase this connection waits on was queued or held: its order's wait is timed from here. Read only
    /// on the loop, after the decision that set it (the answer comes back through the loop).
    private var decidedAt = NIODeadline.uptimeNanoseconds(0)

    init(front: PurchaseFront, serverName: String) {
        self.front = front
        self.serverName = serverName
    }

    func handlerAdded(context: ChannelHandlerContext) {
        progress = RequestProgress(context: context)
        allocator = context.channel.allocator
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let front = front
        completion = { completion in
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.completed(front.answer(completion, decidedAt: handler.decidedAt), context: context)
            }
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        progress.request(part)
        if isWaiting {
            held.append(part)
        } else {
            handle(part, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        if passedOn {
            readCompleteIfPassedOn(context)
        } else if hummingbirdOwes == 0, !holdsReads(context) {
            readFromHere(context)
        }
    }

    /// Asks for the next read from this handler's place, when this read held nothing for Hummingbird and it owes
    /// nothing. The channel reads automatically (NIO's `autoRead`, as Hummingbird runs it): right after the end of
    /// a read it asks for the next one from the tail of the pipeline, through every handler, unless a read is
    /// already pending; asked here first, Hummingbird's handlers behind this one are not walked through for every
    /// refusal. They have nothing to hold a read back for: the only one that does (`NIOAsyncChannelHandler`, when its
    /// buffer is full) buffers parts passed on, and the first part passed on ends this (the next read is asked from
    /// the tail again), so it can be given one read more at most.
    private func readFromHere(_ context: ChannelHandlerContext) {
        context.read()
    }

    private func readCompleteIfPassedOn(_ context: ChannelHandlerContext) {
        guard passedOn else { return }
        passedOn = false
        context.fireChannelReadComplete()
    }

    /// Hands `part` to Hummingbird (through the HTTP-types codec).
    private func passOn(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        passedOn = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// The parser gives head, body..., end. A part this handler does not take (a request Hummingbird reads, or one
    /// out of that order) goes on as it came. The state is switched on first and the part in place: a tuple of the
    /// two would copy the part (a retain of its head) for every part.
    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch state {
        case .closed:
            return
        case .idle:
            guard case .head(let head) = part else { return passOn(part, context: context) }
            start(head, part, context: context)
        case .reading:
            switch part {
            case .body(var chunk): read(&chunk)
            case .end:
                // `.reading` always has its request; taken out, not copied.
                guard let reading = reading.take() else {
                    preconditionFailure("invariant: a purchase being read has its head")
                }
                decide(reading, context: context)
            case .head: passOn(part, context: context)
            }
        case .passing(let close):
            if case .end = part { state = close ? .closed : .idle }
            passOn(part, context: context)
        case .waiting:
            passOn(part, context: context)
        }
    }

    /// A request's head, between requests: a purchase is read here, anything else goes on to Hummingbird.
    private func start(_ head: HTTPRequestHead, _ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        let close = !head.isKeepAlive
        if hummingbirdOwes == 0, progress.writesEncoded, let ask = Self.purchase(head, peer: peer(context)) {
            state = .reading
            reading = Reading(ask: ask, keepsBody: front.needsBody(ask), close: close)
            body = nil
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                // The client waits for a go-ahead before it sends the body.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        } else {
            hummingbirdOwes += 1
            state = .passing(close: close)
            passOn(part, context: context)
        }
    }

    /// A chunk of a purchase's body: kept when the decision reads the body, up to its limit.
    private func read(_ chunk: inout ByteBuffer) {
        guard reading?.keepsBody == true, reading?.tooLarge == false else { return }
        if (body?.readableBytes ?? 0) + chunk.readableBytes > PurchaseFront.bodyMaxBytes {
            reading?.tooLarge = true
            body = nil
        } else if body == nil {
            body = chunk
        } else {
            body?.writeBuffer(&chunk)
        }
    }

    private func decide(_ reading: Reading, context: ChannelHandlerContext) {
        let given: PurchaseBody = reading.tooLarge ? .tooLarge : .bytes(body ?? ByteBuffer())
        body = nil
        // Set from `handlerAdded` until `handlerRemoved`; a removed handler is given no request.
        guard let completion else { preconditionFailure("invariant: a handler in a pipeline has its completion") }
        let answer = front.decide(reading.ask, body: given, then: completion)
        if let answer {
            state = .idle
            write(answer, context: context, close: reading.close)
            resumeHeld(context: context)
        } else {
            // Read after the decision, only for the purchases that wait: a refusal costs no clock read.
            decidedAt = .now()
            state = .waiting(close: reading.close)
        }
    }

    /// The writer handed back the order this connection waits on: answer it, then go on with what was held.
    private func completed(_ answer: WireAnswer, context: ChannelHandlerContext) {
        guard !removed, case .waiting(let close) = state else { return }
        state = .idle
        write(answer, context: context, close: close)
        flushIfNeeded(context)
        resumeHeld(context: context)
    }

    /// Once nothing waits on the writer: the held parts in order, then (when no purchase is under way) the held
    /// events and error, then the held read. Safe to call again from within itself (it then does nothing). It runs
    /// after every answer, so with nothing held it returns at once: pipelined refusals are flushed once per read
    /// (`channelReadComplete`), not one by one.
    private func resumeHeld(context: ChannelHandlerContext) {
        guard !resuming, !held.isEmpty || !heldEvents.isEmpty || errorHeld != nil || readHeld else { return }
        resuming = true
        defer { resuming = false }
        let replaying = !held.isEmpty
        while !held.isEmpty, !isWaiting {
            handle(held.removeFirst(), context: context)
        }
        // What was passed on is delivered to Hummingbird at the end of a read, as it would have been.
        if replaying { readCompleteIfPassedOn(context) }
        flushIfNeeded(context)
        if isWaiting {
            readIfHeld(context)
            return
        }
        if case .reading = state {
            // A request is half read: only a graceful shutdown waits for it.
            let (shutdowns, others) = (heldEvents.filter { $0 is ChannelShouldQuiesceEvent }, heldEvents.filter { !($0 is ChannelShouldQuiesceEvent) })
            heldEvents = shutdowns
            for event in others { context.fireUserInboundEventTriggered(event) }
        } else {
            let events = heldEvents
            heldEvents = []
            for event in events { context.fireUserInboundEventTriggered(event) }
        }
        if let error = errorHeld {
            errorHeld = nil
            context.fireErrorCaught(error)
        }
        readIfHeld(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if isWaiting || (isReading && event is ChannelShouldQuiesceEvent) {
            heldEvents.append(event)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if isWaiting {
            errorHeld = errorHeld ?? error
            return
        }
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        readIfHeld(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        completion = nil
        progress = RequestProgress()
    }

    private func peer(_ context: ChannelHandlerContext) -> SocketAddress? {
        if !peerKnown, let address = context.channel.remoteAddress {
            peer = address
            peerKnown = true
        }
        return peer
    }

    private var isWaiting: Bool {
        if case .waiting = state { return true }
        return false
    }

    private var isReading: Bool {
        if case .reading = state { return true }
        return false
    }

    // MARK: Outbound

    /// While a 201 waits on the writer, reading goes on until something comes: a client that waits for its answer
    /// sends nothing, and stopping its reads for every order cost two `epoll_ctl` calls per order (3 % of the full
    /// path's CPU). Once a part is held, reads stop, so a pipelining client gets one read ahead at most.
    func read(context: ChannelHandlerContext) {
        if holdsReads(context) {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func holdsReads(_ context: ChannelHandlerContext) -> Bool {
        (isWaiting && !held.isEmpty) || !context.channel.isWritable
    }

    private func readIfHeld(_ context: ChannelHandlerContext) {
        guard readHeld, !holdsReads(context) else { return }
        readHeld = false
        context.read()
    }

    /// Hummingbird's answers pass through; each end settles one request it owed.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        progress.answer(part)
        if case .end = part { hummingbirdOwes = max(hummingbirdOwes - 1, 0) }
        context.write(data, promise: promise)
    }

    private func write(_ answer: WireAnswer, context: ChannelHandlerContext, close: Bool) {
        let response = encoded.bytes(answer, date: date.now(), server: serverName, close: close, allocator: allocator)
        // A purchase is taken only when encoded answers can be written (`start`), so this writes.
        _ = progress.writeEncoded(response)
        if close {
            context.flush()
            // As Hummingbird does: the sending side closes once what was written is out (a full close would drop
            // unsent answers); the client closes its side, or the guard's idle time does.
            state = .closed
            held.removeAll()
            let closed = context.eventLoop.makePromise(of: Void.self)
            closed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            context.close(mode: .output, promise: closed)
        } else {
            needsFlush = true
        }
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        // From the encoder's place, past the handlers between (none of them holds writes back).
        if !progress.flushEncoded() { context.flush() }
    }

    // MARK: Which requests

    /// The purchase in `head`, or nil for any other request: exactly `POST /v1/sales/{sale}/purchases`, with or
    /// without a query (what Hummingbird's router would send to the purchase route; anything else stays its own).
    private static func purchase(_ head: HTTPRequestHead, peer: SocketAddress?) -> PurchaseAsk? {
        guard head.method == .POST, let sale = sale(inPurchasePath: head.uri) else { return nil }
        return PurchaseAsk(sale: sale, target: head.uri, headers: .nio(head.headers), peer: peer)
    }

    static let prefix = Array("/v1/sales/".utf8)
    static let suffix = Array("/purchases".utf8)

    /// The `{sale}` of a purchase path (`/v1/sales/{sale}/purchases`, then nothing or a query), or nil.
    static func sale(inPurchasePath path: String) -> String? {
        // A native string's bytes are contiguous: compared in place (this runs for every request).
        if let sale = path.utf8.withContiguousStorageIfAvailable({ sale(inPurchasePathBytes: $0) }) { return sale }
        return sale(inPurchasePathBytes: Array(path.utf8))
    }

    private static func sale(inPurchasePathBytes bytes: some RandomAccessCollection<UInt8>) -> String? {
        let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        let length = bytes.distance(from: bytes.startIndex, to: end)
        guard length > prefix.count + suffix.count else { return nil }
        let saleStart = bytes.index(bytes.startIndex, offsetBy: prefix.count)
        let saleEnd = bytes.index(end, offsetBy: -suffix.count)
        guard bytes[bytes.startIndex..<saleStart].elementsEqual(prefix), bytes[saleEnd..<end].elementsEqual(suffix),
            !bytes[saleStart..<saleEnd].contains(UInt8(ascii: "/"))
        else { return nil }
        return String(decoding: bytes[saleStart..<saleEnd], as: UTF8.self)
    }
}
