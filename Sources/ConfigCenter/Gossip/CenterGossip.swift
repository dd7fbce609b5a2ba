// The config-center as node C of the gossip: it learns the units' rows and tells them its own.

public import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
public import Foundation
import GRDB
public import Logging

/// Answers units' gossip at the config-center. Units include it among their peers, so allocations, restocks
/// and end-of-sale returns travel the same way as grants between units, and the center's view of every unit
/// (rows and pulses, shown in `status`) is as fresh as the gossip.
public final class CenterGossip: Sendable {
    let store: CenterStore
    let gate: GossipGate
    /// The config-center's own key: it signs every answer, as units' pinned key.
    let key: NodeKey
    let logger: Logger

    public init(store: CenterStore, seal: GossipSeal, key: NodeKey, logger: Logger = Logger(label: "flashsale.center.gossip")) {
        self.logger = logger
        self.store = store
        self.gate = GossipGate(seal: seal)
        self.key = key
    }

    /// Why a message naming `node`, from client `address`, is not read at all (`GossipGate.refusalBeforeReading`;
    /// members are the enrolled units).
    public func refusalBeforeReading(from node: String, address: String) async throws -> GossipRefusal? {
        gate.refusalBeforeReading(
            sender: node, address: address, receiver: .center, members: GossipMembers.keys(units: try await store.units()),
            nowMs: store.nowMs())
    }

    /// Checks and absorbs a unit's message, then returns the center's own, signed (the cluster secret's signature
    /// and the center's). Throws a `GossipRefusal` and changes nothing when the message is not genuine; rows in it
    /// that their owners did not sign are left out.
    public func exchange(
        body: Data, signature: String?, senderSignature: String?, claimedSender: NodeID? = nil
    ) async throws -> (body: Data, signature: String, senderSignature: String) {
        // The cluster secret first (cheap): no one without it makes the center read every ledger.
        guard let signature, gate.seal.verify(signature, body: body) else { throw GossipRefusal.badSignature }
        // Members are enrolled units, each under the key it was enrolled with: a unit row that merely exists is no member.
        let members = GossipMembers.keys(units: try await store.units())
        let ledgers = try await store.ledgers()
        let opened = try gate.open(
            body: body, signature: signature, senderSignature: senderSignature, claimedSender: claimedSender,
            receiver: .center, members: members,
            nowMs: store.nowMs(), takesOwnRow: false, hasSale: { ledgers[$0] != nil },
            known: { sale, owner in ledgers[sale]?.rows[owner] })
        GossipLog.leftOut(opened, logger: logger)
        for (sale, owner, conflicting) in try await store.absorb(opened.envelope) {
            GossipLog.refused(owner: owner, sale: sale, from: opened.envelope.from, conflicting: conflicting, logger: logger)
        }
        let answer = GossipEnvelope(
            from: .center, sentAtMs: store.nowMs(), nonce: GossipEnvelope.makeNonce(), digests: try await store.digests(key: key))
        let answerBody = try WireJSON.encoder.encode(answer)
        return (answerBody, gate.seal.signature(for: answerBody), try GossipSenderSignature.sign(answerBody, key: key))
    }
}

extension CenterStore {
    /// Every sale's ledger as stored.
    func ledgers() async throws -> [String: RightsLedger] {
        try await pool.read { db in
            var ledgers: [String: RightsLedger] = [:]
            for terms in try CenterQueries.allSaleTerms(db) { ledgers[terms.id] = try LedgerTables.load(saleID: terms.id, db) }
            return ledgers
        }
    }

    /// Merges the signed rows of known sales of enrolled units (never the center's own row, never a node that is no
    /// enrolled unit: a ghost would grant stock that was never minted) and keeps the sender's pulses. A row reaches
    /// here only with its owner's signature (`GossipGate`), so the sender can pass on other units' rows, which the
    /// config-center needs to account for grants between units whose givers have not reached it yet, but cannot
    /// alter them. A row that conflicts with the owner's row already kept (two histories), or gives or sells more
    /// than the owner holds, is refused (`LedgerTables.absorbSigned`).
    /// Returns (sale, owner, conflicting) of each row refused: conflicting, or else overdrawn.
    @discardableResult
    func absorb(_ envelope: GossipEnvelope) async throws -> [(sale: String, owner: NodeID, conflicting: Bool)] {
        let digests = envelope.digests
        let refused = try await write { db in
            var refused: [(sale: String, owner: NodeID, conflicting: Bool)] = []
            let enrolled = Set(try String.fetchAll(db, sql: "SELECT id FROM unit WHERE public_key IS NOT NULL"))
            for digest in digests where try CenterQueries.saleTerms(digest.sale, db) != nil {
                let rows = digest.rows.filter { $0.key != .center && enrolled.contains($0.key.rawValue) }
                let outcome = try LedgerTables.absorbSigned(
                    rows, signatures: digest.signatures, saleID: digest.sale,
                    ledger: try LedgerTables.load(saleID: digest.sale, db), db)
                refused += outcome.conflicting.map { (digest.sale, $0, true) } + outcome.overdrawn.map { (digest.sale, $0, false) }
            }
            return refused
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
        changes.advance()
        return refused
    }

    /// The center's knowledge of every sale: its own row as stored, signed now with `key`, the units' rows as
    /// their owners signed them, and its witness of the grants between units (`GrantWitness`), signed now: the
    /// grants of the one history of each unit it took, which are what receivers may spend.
    func digests(key: NodeKey) async throws -> [GossipDigest] {
        let stored = try await pool.read { db in
            try CenterQueries.allSaleTerms(db).map { terms in
                (terms.id, try LedgerTables.load(saleID: terms.id, db), try LedgerTables.signedCopies(saleID: terms.id, db))
            }
        }
        return try stored.map { sale, ledger, copies in
            var rows = copies.mapValues(\.row)
            var signatures = copies.mapValues(\.signature)
            rows[.center] = ledger.row(.center)
            signatures[.center] = try RowSignature.sign(ledger.row(.center), of: .center, sale: sale, key: key)
            let witness = GrantWitness(ledger: ledger)
            return GossipDigest(
                sale: sale, from: .center, rows: rows, signatures: signatures, pulse: nil,
                witness: witness, witnessSignature: try WitnessSignature.sign(witness, sale: sale, key: key))
        }
    }
}
