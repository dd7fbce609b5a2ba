// One unit's side of gossip: what it tells peers, what it takes from them, and what it gives away.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB
import Logging
import Metrics
import Synchronization

/// Builds, checks and absorbs gossip for one unit, and runs the rebalancing policy.
///
/// What this unit tells about itself comes from SQLite, never from memory alone: its counters and grants are
/// durable before anyone can learn them. What it learns is written to SQLite before the purchase desk may sell
/// from it. A message is checked (signature, member, age, nonce) before any of its bytes are trusted.
final class GossipExchange: Sendable {
    let desk: PurchaseDesk
    let pool: DatabasePool
    let gate: GossipGate
    let policy: RebalancePolicy
    let granter: RightsGranter
    /// Set when this unit started on a new database: peers' copies of its own row are taken back while it lasts.
    let recovery: UnitRecovery
    /// Pulses older than this are ignored by the policy.
    let pulseMaxAgeMs: Int64
    /// The nodes this unit takes gossip from, with the key each was enrolled with.
    private let members: @Sendable () -> [NodeID: Curve25519.Signing.PublicKey]
    /// This unit's own key: it signs every message it sends.
    private let key: NodeKey
    private let nowMs: @Sendable () -> Int64
    private let metrics: UnitMetrics
    private let logger: Logger
    private let boards = Mutex<[String: PulseBoard]>([:])

    init(
        desk: PurchaseDesk, pool: DatabasePool, gate: GossipGate, policy: RebalancePolicy, granter: RightsGranter,
        recovery: UnitRecovery, pulseMaxAgeMs: Int64, key: NodeKey,
        members: @escaping @Sendable () -> [NodeID: Curve25519.Signing.PublicKey], nowMs: @escaping @Sendable () -> Int64,
        metrics: UnitMetrics, logger: Logger
    ) {
        self.key = key
        self.metrics = metrics
        self.desk = desk
        self.pool = pool
        self.gate = gate
        self.policy = policy
        self.granter = granter
        self.recovery = recovery
        self.pulseMaxAgeMs = pulseMaxAgeMs
        self.members = members
        self.nowMs = nowMs
        self.logger = logger
    }

    // MARK: Sending

    /// This unit's signed message (the cluster secret's signature and its own): every sale's ledger as stored, and
    /// its pulse.
    func sealedEnvelope() async throws -> (body: Data, signature: String, senderSignature: String) {
        let now = nowMs()
        let unit = desk.unit
        let sales = desk.saleTerms().map(\.id).sorted()
        let ledgers = try await pool.read { db in
            try sales.map { ($0, try UnitRecords.ledger(saleID: $0, unit: unit, db)) }
        }
        let digests = ledgers.map { sale, ledger in
            GossipDigest(sale: sale, from: unit, ledger: ledger, pulse: desk.pulse(sale: sale, nowMs: now))
        }
        let envelope = GossipEnvelope(from: unit, sentAtMs: now, nonce: GossipEnvelope.makeNonce(), digests: digests)
        let body = try WireJSON.encoder.encode(envelope)
        return (body, gate.seal.signature(for: body), try GossipSenderSignature.sign(body, key: key))
    }

    // MARK: Receiving

    /// Checks a message and absorbs it. Throws a `GossipRefusal` and changes nothing when it is not genuine.
    func receive(body: Data, signature: String?, senderSignature: String?) async throws {
        let envelope = try gate.open(
            body: body, signature: signature, senderSignature: senderSignature, receiver: desk.unit, members: members(),
            nowMs: nowMs())
        try await absorb(envelope)
        if recovery.isRecovering { await recovery.heard(from: envelope.from) }
    }

    /// Writes other nodes' rows to SQLite, then shows them to the desk; records the sender's pulse. While the unit
    /// recovers from a lost database it also takes back the sender's copy of its own row.
    private func absorb(_ envelope: GossipEnvelope) async throws {
        let unit = desk.unit
        let recovering = recovery.isRecovering
        let known = Set(desk.saleTerms().map(\.id))
        let digests = envelope.digests.filter { known.contains($0.sale) }
        try await pool.write { db in
            for digest in digests {
                for (node, row) in digest.rows {
                    if node != unit {
                        try LedgerTables.merge(row, of: node, saleID: digest.sale, db)
                    } else if recovering {
                        try UnitRecords.restore(row, of: unit, saleID: digest.sale, db)
                    }
                }
            }
        }
        for digest in digests {
            let before = desk.received(sale: digest.sale)
            desk.merge(sale: digest.sale, others: digest.rows(excluding: unit))
            let brought = desk.received(sale: digest.sale) - before
            if brought > 0 {
                metrics.grantsReceived.increment()
                metrics.rightsReceived.increment(by: brought)
            }
            if let pulse = digest.pulse, pulse.node == envelope.from {
                boards.withLock { $0[digest.sale, default: PulseBoard()].record(pulse) }
            }
        }
    }

    // MARK: Rebalancing

    /// Runs the policy for every open sale and makes its grants: reserved in memory first (so no order takes the
    /// same stock), then written to SQLite, whose counters refuse a grant beyond the unit's rights.
    func rebalance() async {
        let now = nowMs()
        for terms in desk.saleTerms() where terms.phase(atMs: now) == .open {
            guard let me = desk.pulse(sale: terms.id, nowMs: now) else { continue }
            let peers = boards.withLock { $0[terms.id]?.fresh(atMs: now, maxAgeMs: pulseMaxAgeMs, excluding: desk.unit) } ?? []
            for (node, amount) in policy.grants(me: me, peers: peers).sorted(by: { $0.key < $1.key }) {
                await granter.grant(amount, of: terms.id, to: node)
            }
        }
    }
}
