// `POST /v1/gossip`: a peer's signed digest in, this unit's signed digest out (push-pull).

import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird

enum GossipRoutes {
    /// Largest gossip body accepted.
    static let bodyMaxBytes = 4 << 20

    static func add(to router: Router<WireRequestContext>, exchange: GossipExchange) {
        router.post("/v1/gossip") { request, context in
            // Who claims to send it, before a byte of the body is read: only a member may make this unit read megabytes.
            let sender = request.headers[GossipSenderSignature.senderHeaderName] ?? ""
            if let refusal = exchange.refusalBeforeReading(from: sender, address: ClientKey.of(context.remoteAddress)) {
                throw refusal
            }
            let bytes = try await request.body.collect(upTo: bodyMaxBytes)
            try await exchange.receive(
                body: Data(buffer: bytes), signature: request.headers[GossipSeal.headerName],
                senderSignature: request.headers[GossipSenderSignature.headerName], claimedSender: NodeID(sender))
            let answer = try await exchange.sealedEnvelope()
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[GossipSeal.headerName] = answer.signature
            headers[GossipSenderSignature.headerName] = answer.senderSignature
            let body = answer.body
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
