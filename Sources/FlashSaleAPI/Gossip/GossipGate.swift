// Every check a gossip message passes before any of its bytes are believed, for units and the config-center.

public import Crypto
public import FlashSaleCore
public import Foundation
import Synchronization

/// Opens received gossip: the cluster secret's signature over the exact bytes, the decoding, the sender's
/// membership and its own signature (by the key it was enrolled with), the age and nonce (`ReplayGuard`), and the
/// plausibility of every row but the receiver's own. A message that fails any check throws a `GossipRefusal` and
/// has changed nothing.
public final class GossipGate: Sendable {
    public let seal: GossipSeal
    private let replay = Mutex(ReplayGuard())

    public init(seal: GossipSeal) { self.seal = seal }

    /// The envelope in `body`, once it passed every check. `receiver` is the node opening it; `members` the
    /// nodes it accepts gossip from, with the public key each was enrolled with.
    public func open(
        body: Data, signature: String?, senderSignature: String?, receiver: NodeID,
        members: [NodeID: Curve25519.Signing.PublicKey], nowMs: Int64
    ) throws(GossipRefusal) -> GossipEnvelope {
        guard let signature, seal.verify(signature, body: body) else { throw .badSignature }
        let envelope: GossipEnvelope
        do {
            envelope = try WireJSON.decoder.decode(GossipEnvelope.self, from: body)
        } catch {
            throw .malformed("\(error)")
        }
        guard envelope.from != receiver, let senderKey = members[envelope.from] else {
            throw .unknownSender(envelope.from.rawValue)
        }
        // Before the nonce is recorded: a message no member signed takes no room in the replay guard.
        guard GossipSenderSignature.isValid(senderSignature, body: body, publicKey: senderKey) else {
            throw .badSenderSignature(envelope.from.rawValue)
        }
        switch replay.withLock({ $0.admit(nonce: envelope.nonce, sentAtMs: envelope.sentAtMs, nowMs: nowMs) }) {
        case .fresh: break
        case .stale: throw .stale
        case .replayed: throw .replayed
        }
        for digest in envelope.digests {
            for (node, row) in digest.rows where node != receiver && !row.isPlausible(of: node) {
                throw .malformed("row of \(node) for sale \(digest.sale) is out of range")
            }
        }
        return envelope
    }
}
