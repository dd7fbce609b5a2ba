// `POST /v1/custody/{sale}/copies` and `.../held`: what units of a region tell each other about their buyers' orders.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird

/// The guardian's side of custody (`Custody`). Both routes take only requests signed by an enrolled unit's own key
/// (`NodeRequestSignature`, within a minute of this unit's clock) and answer with this unit's signature over the
/// request's signature and the answer (`CustodyAnswerSignature`), so an owner acts on this unit's word alone.
///
/// - `copies`: an owner's copies of its buyers' orders. Decided under the machine's lock against this unit's view
///   (the fence of a takeover); accepted copies are written before the answer says so.
/// - `held`: a retired unit asks which of its reserved orders this unit holds copies of: answered only once this
///   unit's view retires it, when no copy from it can be accepted any more.
enum CustodyRoutes {
    static let bodyMaxBytes = 1 << 20

    static func add(
        to router: Router<WireRequestContext>, unit: NodeID, machine: LockedMachine, writer: GroupCommitWriter, key: NodeKey,
        members: @escaping @Sendable () -> [NodeID: Curve25519.Signing.PublicKey], nowMs: @escaping @Sendable () -> Int64
    ) {
        router.post("/v1/custody/{sale}/copies") { request, context in
            let (sender, body, requestSignature) = try await signed(request, unit: unit, members: members(), nowMs: nowMs())
            let sale = try context.parameters.require("sale")
            let copies = try decoded(CustodyCopies.self, from: body)
            let (verdict, message) = try machine.withLock { machine throws(Problem) -> (CustodyVerdict, CustodyMessage?) in
                guard let owners = machine.custodyView(sale: sale)?.owners else { return (.refused(.unknownSale), nil) }
                guard let message = copies.message(sale: sale, owners: owners) else {
                    throw Problem(.invalidInput, "the copies name no view of this sale's owners, or an order id that is none")
                }
                return (machine.receiveCopy(message, from: sender), message)
            }
            if verdict == .accepted, let message {
                let orders = message.buyers.flatMap { $0.orders.filter(\.status.holdsStock) }
                try await writer.perform { db in
                    try UnitRecords.saveCopies(orders, db)
                    return ((), [.copiesWritten(sale: sale, orders: orders.map(\.id))])
                }
            }
            return try answer(CustodyCopiesAnswer(verdict), to: requestSignature, key: key)
        }
        router.post("/v1/custody/{sale}/held") { request, context in
            let (sender, body, requestSignature) = try await signed(request, unit: unit, members: members(), nowMs: nowMs())
            let sale = try context.parameters.require("sale")
            let question = try decoded(CustodyHeldQuestion.self, from: body)
            let ids = question.orders.compactMap(OrderID.init)
            let held = machine.withLock { $0.heldCopies(sale: sale, of: ids, from: sender) }
            return try answer(CustodyHeldAnswer(held: held), to: requestSignature, key: key)
        }
    }

    /// The sender, body and request signature of a request signed by an enrolled unit other than this one.
    private static func signed(
        _ request: Request, unit: NodeID, members: [NodeID: Curve25519.Signing.PublicKey], nowMs: Int64
    ) async throws -> (NodeID, Data, String) {
        let headers = request.headers
        guard let node = headers[NodeRequestSignature.nodeHeader], IdentifierRule.isValidID(node), node != unit.rawValue,
            let publicKey = members[NodeID(node)]
        else { throw Problem(.unauthorized, "only another enrolled unit of the cluster may send this") }
        // Compared without subtracting: any Int64 a caller sends must not overflow the arithmetic.
        guard let time = headers[NodeRequestSignature.timeHeader].flatMap(Int64.init),
            time >= nowMs.subtractingReportingOverflow(NodeRequestSignature.clockSkewMs).partialValue,
            time <= nowMs.addingReportingOverflow(NodeRequestSignature.clockSkewMs).partialValue,
            let signature = headers[NodeRequestSignature.signatureHeader]
        else { throw Problem(.unauthorized, "the request must be signed (X-Flashsale-Node, -Time within a minute, -Node-Signature)") }
        let buffer = try await request.body.collect(upTo: bodyMaxBytes)
        let body = Data(buffer: buffer)
        guard NodeRequestSignature.isValid(
            signature: signature, publicKey: publicKey, node: node, method: "POST", path: request.uri.path, timeMs: time, body: body)
        else { throw Problem(.unauthorized, "the signature does not verify with \(node)'s enrolled key") }
        return (NodeID(node), body, signature)
    }

    /// `body` as a `T`, or a 400 that says what is wrong with it.
    private static func decoded<T: Decodable>(_ type: T.Type, from body: Data) throws -> T {
        do {
            return try WireJSON.decoder.decode(T.self, from: body)
        } catch {
            throw Problem(.invalidInput, "the body is not a \(T.self): \(String(describing: error).prefix(300))")
        }
    }

    private static func answer(_ value: some Encodable, to requestSignature: String, key: NodeKey) throws -> Response {
        let body = try WireJSON.encoder.encode(value)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[CustodyAnswerSignature.header] = try CustodyAnswerSignature.sign(requestSignature: requestSignature, body: body, key: key)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}
