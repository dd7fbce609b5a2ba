// Every check a gossip message passes before any of its bytes are believed, for units and the config-center.

public import Crypto
public import FlashSaleCore
public import Foundation
import Synchronization

/// Opens received gossip: the cluster secret's signature over the exact bytes, the decoding, the sender's
/// membership and its own signature (by the key it was enrolled with), the age and nonce (`ReplayGuard`), the
/// plausibility of every row, each row's signature by its owner (`RowSignature`) and the config-center's signature of
/// the witness of grants between units (`WitnessSignature`). A message that fails any check but the last two throws a
/// `GossipRefusal` and has changed nothing; a row its owner did not sign, or a witness the config-center did not, is
/// left out of what is opened (an honest relay may still carry a row signed before its owner was enrolled again with a
/// new key).
public final class GossipGate: Sendable {
    public let seal: GossipSeal
    private let replay = Mutex(ReplayGuard())
    /// Messages per client address, charged before a body is read.
    private let perAddress = GossipSenderQuota()
    /// Messages per member, charged once the member's own signature holds (before any row is checked).
    private let perMember = GossipSenderQuota()

    public init(seal: GossipSeal) { self.seal = seal }

    /// What a message brought: its envelope with only the rows that add to what the receiver knows and that their
    /// owners signed, and the rows left out.
    public struct Opened: Sendable {
        public var envelope: GossipEnvelope
        /// Each row left out, and why.
        public var leftOut: [(sale: String, owner: NodeID, reason: LeftOut)]
    }

    /// Why a row was left out of an opened message.
    public enum LeftOut: String, Sendable {
        /// Not signed by its owner's enrolled key.
        case unsigned
        /// It grants to a node that is no member and that the receiver never saw its owner grant to: an honest node
        /// grants only to members, and rows naming made-up nodes would grow every ledger and configuration.
        case unknownGrantee = "unknown-grantee"
        /// A witness of grants between units (`GrantWitness`) not signed by the config-center's key; `owner` is the
        /// config-center. The grants it names stay unspendable at the receiver.
        case unwitnessed = "witness-unsigned"
    }

    /// Why a message whose header names `sender` (`GossipSenderSignature.senderHeader`), from client `address`
    /// (`ClientKey`), is not read at all: `sender` is no member (or the receiver itself), or the address sent more than
    /// its share; nil when its body may be read (up to 4 MiB). The member's own share is charged in `open`, once its
    /// signature holds, so naming a member spends nothing of its share.
    public func refusalBeforeReading(
        sender: String, address: String, receiver: NodeID, members: [NodeID: Curve25519.Signing.PublicKey], nowMs: Int64
    ) -> GossipRefusal? {
        guard IdentifierRule.isValidID(sender), sender != receiver.rawValue, members[NodeID(sender)] != nil else {
            return .unknownSender(String(sender.prefix(64)))
        }
        return perAddress.take(address, nowMs: nowMs).map(GossipRefusal.tooMany)
    }

    /// The envelope in `body`, once it passed every check. `receiver` is the node opening it; `members` the
    /// nodes it accepts gossip and rows from, with the public key each was enrolled with (the receiver's own
    /// included: copies of its own row are believed only under its own key). `known(sale, owner)` is the row the
    /// receiver already holds: a row it dominates brings nothing, so its signature is not even checked.
    /// `formerKey` is the key the receiver was enrolled with before (`UnitSpec.previousPublicKey`): copies of its own
    /// row signed with it are its own history too (a unit that lost its disk, key included, takes them back).
    /// Only digests of sales the receiver has (`hasSale`), the first of each, are opened: a member cannot make it check
    /// signatures without end by repeating a sale or naming sales that do not exist. Copies of the receiver's own row
    /// are opened only when `takesOwnRow` (a unit recovering a lost database); otherwise they are no news to it.
    /// `claimedSender` is the node the message's header named before its body was read: the envelope must be from it.
    /// A digest's witness (`GrantWitness`) is kept only at a unit, only when it adds to `knownWitness(sale)` and only
    /// under the config-center's key (`members[.center]`).
    public func open(
        body: Data, signature: String?, senderSignature: String?, claimedSender: NodeID? = nil, receiver: NodeID,
        members: [NodeID: Curve25519.Signing.PublicKey], formerKey: Curve25519.Signing.PublicKey? = nil, nowMs: Int64,
        takesOwnRow: Bool = true, hasSale: (String) -> Bool = { _ in true },
        known: (String, NodeID) -> LedgerRow? = { _, _ in nil },
        knownWitness: (String) -> GrantWitness? = { _ in nil }
    ) throws(GossipRefusal) -> Opened {
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
        if let claimedSender, claimedSender != envelope.from {
            throw .unknownSender("\(claimedSender) named in \(GossipSenderSignature.senderHeader), the message is from \(envelope.from)")
        }
        // Before the nonce is recorded: a message no member signed takes no room in the replay guard.
        guard GossipSenderSignature.isValid(senderSignature, body: body, publicKey: senderKey) else {
            throw .badSenderSignature(envelope.from.rawValue)
        }
        if let tooMany = perMember.take(envelope.from.rawValue, nowMs: nowMs) { throw .tooMany(tooMany) }
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
        var opened = Opened(envelope: envelope, leftOut: [])
        var seen = Set<String>()
        let digests = envelope.digests.filter { hasSale($0.sale) && seen.insert($0.sale).inserted }
        opened.envelope.digests = digests.map { digest in
            var kept = digest
            kept.rows = [:]
            kept.signatures = [:]
            kept.witness = nil
            kept.witnessSignature = nil
            if receiver != .center, let witness = digest.witness, !(knownWitness(digest.sale)?.dominates(witness) ?? false) {
                if let centerKey = members[.center],
                    WitnessSignature.isValid(digest.witnessSignature, witness: witness, sale: digest.sale, publicKey: centerKey)
                {
                    kept.witness = witness
                    kept.witnessSignature = digest.witnessSignature
                } else {
                    opened.leftOut.append((digest.sale, .center, .unwitnessed))
                }
            }
            for (owner, row) in digest.rows.sorted(by: { $0.key < $1.key }) where owner != receiver || takesOwnRow {
                let held = known(digest.sale, owner)
                if let held, held.dominates(row) { continue }
                let keys = [members[owner], owner == receiver ? formerKey : nil].compactMap { $0 }
                guard keys.contains(where: {
                    RowSignature.isValid(digest.signatures[owner], row: row, of: owner, sale: digest.sale, publicKey: $0)
                }) else {
                    opened.leftOut.append((digest.sale, owner, .unsigned))
                    continue
                }
                guard row.grantedTo.keys.allSatisfy({ $0 == .center || members[$0] != nil || held?.grantedTo[$0] != nil }) else {
                    opened.leftOut.append((digest.sale, owner, .unknownGrantee))
                    continue
                }
                kept.rows[owner] = row
                kept.signatures[owner] = digest.signatures[owner]
            }
            return kept
        }
        return opened
    }
}
