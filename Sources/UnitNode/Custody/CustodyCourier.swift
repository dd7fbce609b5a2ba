// Sends an owner's copies to its buyers' guardians, and a retired unit's questions to the units that took over.

import AsyncHTTPClient
import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The unit's side of custody on the network (`Custody`, ARCHITECTURE "Takeover of a down unit's buyers"). Each
/// round it sends what the machine's outbox holds, one signed request per guardian message, and tells the machine
/// which the guardian accepted (an answer counts only under the guardian's own signature on this very request,
/// `CustodyAnswerSignature`); then the orders whose buyer is now guarded get their 201 (`GuardianWait`), and the unit
/// writes down when it has caught up at its view. A retired unit asks the new owners which of its reserved orders
/// they hold copies of, and cancels the others: no buyer was told of them.
///
/// A round runs when an order waits for its copy, and every `interval` otherwise (copies still owed after a view
/// change or a restart, questions, orders out of patience).
final class CustodyCourier: Service, Sendable {
    struct Peers: Sendable {
        var urls: [NodeID: String]
        var keys: [NodeID: Curve25519.Signing.PublicKey]
    }

    static let interval = Duration.milliseconds(200)
    static let requestTimeout = TimeAmount.seconds(1)
    static let answerMaxBytes = 1 << 20

    private let unit: NodeID
    private let machine: LockedMachine
    private let wait: GuardianWait
    private let writer: GroupCommitWriter
    private let http: HTTPClient
    private let key: NodeKey
    private let peers: @Sendable () -> Peers
    private let nowMs: @Sendable () -> Int64
    private let logger: Logger

    init(
        unit: NodeID, machine: LockedMachine, wait: GuardianWait, writer: GroupCommitWriter, http: HTTPClient, key: NodeKey,
        peers: @escaping @Sendable () -> Peers, nowMs: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.unit = unit
        self.machine = machine
        self.wait = wait
        self.writer = writer
        self.http = http
        self.key = key
        self.peers = peers
        self.nowMs = nowMs
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // The bell and the clock both start rounds; a round never overlaps another.
                let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                group.addTask {
                    for await _ in self.wait.rings { tick.yield() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.interval)
                        tick.yield()
                    }
                    tick.finish()
                }
                for await _ in ticks {
                    if Task.isCancelled { break }
                    await self.round()
                }
                group.cancelAll()
            }
        }
        wait.finish()
    }

    /// Sends the outbox and the questions, then answers the orders that may be answered.
    func round() async {
        let outbox = machine.withLock { $0.custodyOutbox() }
        let questions = machine.withLock { $0.custodyQuestions() }
        let known = peers()
        await withTaskGroup(of: Void.self) { group in
            for (guardian, message) in outbox {
                group.addTask { await self.send(message, to: guardian, peers: known) }
            }
            for question in questions {
                group.addTask { await self.ask(question.owner, sale: question.sale, about: question.orders, peers: known) }
            }
        }
        wait.release(machine)
        await noteCaughtUp()
    }

    // MARK: Copies

    private func send(_ message: CustodyMessage, to guardian: NodeID, peers: Peers) async {
        guard let body = try? WireJSON.encoder.encode(CustodyCopies(message)),
            let answer = await post(body, path: "/v1/custody/\(message.sale)/copies", to: guardian, peers: peers),
            let decoded = try? WireJSON.decoder.decode(CustodyCopiesAnswer.self, from: answer)
        else { return }
        if decoded.isAccepted {
            machine.withLock { $0.custodyConfirmed(message, by: guardian) }
            // At once: a slow guardian elsewhere in the round does not hold these buyers' 201s.
            wait.release(machine)
        } else {
            logger.debug("copies refused", metadata: ["guardian": "\(guardian)", "sale": "\(message.sale)", "reason": "\(decoded.reason ?? "")"])
        }
    }

    /// Per sale, the view this unit last wrote itself caught up at (or not): written again only when it changes.
    private let written = Mutex<[String: (view: Int, caughtUp: Bool)]>([:])

    private func noteCaughtUp() async {
        let status = machine.withLock { $0.custodyStatus }
        let changed = written.withLock { written in
            status.filter { sale, now in
                let caughtUp = now.owed.isEmpty
                guard let last = written[sale] else { return true }
                return last.view != now.view || last.caughtUp != caughtUp
            }
        }
        guard !changed.isEmpty else { return }
        do {
            try await writer.perform { db in
                for (sale, now) in changed { try UnitRecords.saveCaughtUp(sale: sale, view: now.view, caughtUp: now.owed.isEmpty, db) }
                return ((), [])
            }
            written.withLock { written in for (sale, now) in changed { written[sale] = (now.view, now.owed.isEmpty) } }
        } catch {
            logger.warning("could not write the custody state", metadata: ["error": "\(error)"])
        }
    }

    // MARK: A retired unit's questions

    private func ask(_ owner: NodeID, sale: String, about orders: [OrderID], peers: Peers) async {
        guard let body = try? WireJSON.encoder.encode(CustodyHeldQuestion(orders: orders)),
            let answer = await post(body, path: "/v1/custody/\(sale)/held", to: owner, peers: peers),
            let decoded = try? WireJSON.decoder.decode(CustodyHeldAnswer.self, from: answer), let held = decoded.held
        else { return }
        let heldIDs = held.compactMap(OrderID.init)
        let cancelled = machine.withLock { $0.reconciled(sale: sale, asked: orders, held: heldIDs) }
        guard !cancelled.isEmpty else { return }
        let now = nowMs()
        guard let terms = machine.withLock({ $0.terms(sale: sale) }) else { return }
        do {
            try await writer.perform { db in
                var events: [UnitMachine.Event] = []
                for order in cancelled { events += try UnitRecords.cancel(order.id, terms: terms, nowMs: now, db).events }
                return ((), events)
            }
            logger.notice("cancelled orders no buyer was told of: this unit was retired from the sale", metadata: [
                "sale": "\(sale)", "orders": "\(cancelled.map(\.id.description))",
            ])
        } catch {
            logger.warning("could not cancel a retired unit's unacknowledged orders", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Signed requests

    /// POSTs `body` to `node`'s `path`, signed by this unit; the answer's bytes when it is a 200 signed by `node`.
    private func post(_ body: Data, path: String, to node: NodeID, peers: Peers) async -> Data? {
        guard let base = peers.urls[node], let publicKey = peers.keys[node],
            let headers = try? NodeRequestSignature.headers(
                node: unit.rawValue, key: key, method: "POST", path: path, timeMs: nowMs(), body: body),
            let requestSignature = headers.first(where: { $0.name == NodeRequestSignature.signatureHeader.rawName })?.value
        else { return nil }
        var request = HTTPClientRequest(url: (base.hasSuffix("/") ? String(base.dropLast()) : base) + path)
        request.method = .POST
        request.body = .bytes(ByteBuffer(data: body))
        request.headers.add(name: "Content-Type", value: "application/json")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        do {
            let response = try await http.execute(request, timeout: Self.requestTimeout)
            let answer = Data(buffer: try await response.body.collect(upTo: Self.answerMaxBytes))
            guard response.status == .ok,
                CustodyAnswerSignature.isValid(
                    response.headers.first(name: CustodyAnswerSignature.header.rawName), requestSignature: requestSignature,
                    body: answer, publicKey: publicKey)
            else { return nil }
            return answer
        } catch {
            return nil
        }
    }
}
