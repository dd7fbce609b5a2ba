// The config-center as node C of the gossip: it learns the units' rows and tells them its own.

public import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
public import Foundation
import GRDB

/// Answers units' gossip at the config-center. Units include it among their peers, so allocations, restocks
/// and end-of-sale returns travel the same way as grants between units, and the center's view of every unit
/// (rows and pulses, shown in `status`) is as fresh as the gossip.
public final class CenterGossip: Sendable {
    let store: CenterStore
    let gate: GossipGate
    /// The config-center's own key: it signs every answer, as units' pinned key.
    let key: NodeKey

    public init(store: CenterStore, seal: GossipSeal, key: NodeKey) {
        self.store = store
        self.gate = GossipGate(seal: seal)
        self.key = key
    }

    /// Checks and absorbs a unit's message, then returns the center's own, signed (the cluster secret's signature
    /// and the center's). Throws a `GossipRefusal` and changes nothing when the message is not genuine.
    public func exchange(
        body: Data, signature: String?, senderSignature: String?
    ) async throws -> (body: Data, signature: String, senderSignature: String) {
        // Members are enrolled units, each under the key it was enrolled with: a unit row that merely exists is no member.
        let members = GossipMembers.keys(units: try await store.units())
        let envelope = try gate.open(
            body: body, signature: signature, senderSignature: senderSignature, receiver: .center, members: members,
            nowMs: store.nowMs())
        try await store.absorb(envelope)
        let answer = GossipEnvelope(
            from: .center, sentAtMs: store.nowMs(), nonce: GossipEnvelope.makeNonce(), digests: try await store.digests())
        let answerBody = try WireJSON.encoder.encode(answer)
        return (answerBody, gate.seal.signature(for: answerBody), try GossipSenderSignature.sign(answerBody, key: key))
    }
}

extension CenterStore {
    /// Merges the rows of known sales of enrolled units (never the center's own row, never a node that is no enrolled
    /// unit: a ghost would grant stock that was never minted) and keeps the sender's pulses. Rows of other units are
    /// still taken on the sender's word here: gossip between units passes them on, and without them the config-center
    /// could not account for grants between units whose givers have not reached it yet. Only rows signed by their
    /// owners would close that (issue 12).
    func absorb(_ envelope: GossipEnvelope) async throws {
        let digests = envelope.digests
        try await write { db in
            let enrolled = Set(try String.fetchAll(db, sql: "SELECT id FROM unit WHERE public_key IS NOT NULL"))
            for digest in digests where try CenterQueries.saleTerms(digest.sale, db) != nil {
                for (node, row) in digest.rows where node != .center && enrolled.contains(node.rawValue) {
                    try LedgerTables.merge(row, of: node, saleID: digest.sale, db)
                }
            }
        }
        pulses.withLock { pulses in
            for digest in digests {
                if let pulse = digest.pulse, pulse.node == envelope.from, pulse.demandPerSecond.isFinite,
                    pulse.demandPerSecond >= 0
                {
                    pulses[digest.sale, default: [:]][pulse.node] = pulse
                }
            }
        }
        await changes.advance()
    }

    /// The center's knowledge of every sale, as stored.
    func digests() async throws -> [GossipDigest] {
        try await pool.read { db in
            try CenterQueries.allSaleTerms(db).map { terms in
                GossipDigest(sale: terms.id, from: .center, ledger: try LedgerTables.load(saleID: terms.id, db), pulse: nil)
            }
        }
    }
}
