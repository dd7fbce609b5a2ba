// Which enrolled unit sent a request, proven by its signature with its own key.

import Crypto
import FlashSaleAPI
import Foundation
import Hummingbird
import Synchronization

/// Checks the node signature of a unit's request (`NodeRequestSignature`): the unit must be enrolled with a public
/// key, the signature must be that key's over this method, path, time and body, and the time within a minute of
/// the config-center's clock. A request that changes state must also be newer than the last one accepted from
/// that unit, so a captured heartbeat cannot be sent again. Every refusal is `401 unauthorized` and changes nothing.
public final class NodeAuthenticator: Sendable {
    let store: CenterStore
    /// The time of the last accepted change per unit (its heartbeats): replays and reorderings are refused.
    private let lastChangeMs = Mutex<[String: Int64]>([:])

    public init(store: CenterStore) { self.store = store }

    /// What the headers of a unit's request claim, checked before its body is read: the unit is enrolled and the
    /// time is within the clock skew. Only then is the body read (`unit(of:claim:body:changes:)` checks it).
    struct Claim {
        let unit: String
        let publicKey: Curve25519.Signing.PublicKey
        let timeMs: Int64
        let signature: String
    }

    func claim(of request: Request) async throws -> Claim {
        let headers = request.headers
        guard let unit = headers[NodeRequestSignature.nodeHeader], let time = headers[NodeRequestSignature.timeHeader],
            let signature = headers[NodeRequestSignature.signatureHeader]
        else {
            throw Problem(.unauthorized, "a unit's request is signed with its node key (X-Flashsale-Node, X-Flashsale-Time, X-Flashsale-Node-Signature)")
        }
        guard let enrolled = try await store.enrolledKey(of: unit), let publicKey = NodeKey.publicKey(enrolled) else {
            throw Problem(
                .unauthorized,
                "unit '\(unit.prefix(64))' is not enrolled: an admin enrolls it with config-center unit add ID --region REGION --url URL --public-key KEY")
        }
        let now = store.nowMs()
        // Compared without subtracting the sender's number from ours: no value of it can overflow.
        let window = (now - NodeRequestSignature.clockSkewMs)...(now + NodeRequestSignature.clockSkewMs)
        guard let timeMs = Int64(time), window.contains(timeMs) else {
            throw Problem(.unauthorized, "the request's time is more than \(NodeRequestSignature.clockSkewMs / 1000) s from the config-center's clock")
        }
        return Claim(unit: unit, publicKey: publicKey, timeMs: timeMs, signature: signature)
    }

    /// The id of the unit that signed `request` with `body`, as `claim` says once the signature is checked.
    func unit(of request: Request, claim: Claim, body: some DataProtocol, changes: Bool) throws -> String {
        guard NodeRequestSignature.isValid(
            signature: claim.signature, publicKey: claim.publicKey, node: claim.unit, method: request.method.rawValue,
            path: request.uri.description, timeMs: claim.timeMs, body: body)
        else { throw Problem(.unauthorized, "the signature is not unit '\(claim.unit)''s over this request") }
        if changes {
            let fresh = lastChangeMs.withLock { last in
                guard claim.timeMs > last[claim.unit, default: .min] else { return false }
                last[claim.unit] = claim.timeMs
                return true
            }
            guard fresh else {
                throw Problem(.unauthorized, "a request of unit '\(claim.unit)' this old was accepted already (a replay)")
            }
        }
        return claim.unit
    }

    /// The id of the unit that signed `request`, which has no body.
    func unit(of request: Request, changes: Bool) async throws -> String {
        try unit(of: request, claim: try await claim(of: request), body: Data(), changes: changes)
    }
}
