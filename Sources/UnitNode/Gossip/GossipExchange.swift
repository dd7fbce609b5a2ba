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
/// durable before anyone can learn them. What it learns is written by the group-commit writer, which gives it to the
/// machine only after the commit. A message is checked (signature, member, age, nonce) before any of its bytes are trusted.
final class GossipExchange: Sendable {
    let desk: PurchaseDesk
    let store: UnitStore
    let writer: GroupCommitWriter
    let gate: GossipGate
    let policy: RebalancePolicy
    let granter: RightsGranter
    /// Demand-driven pulls: this unit's asks, and the bell a needy peer rings.
    let pulls: StockPulls
    /// Set when this unit started on a new database: peers' copies of its own row are taken back while it lasts.
    let recovery: UnitRecovery
    /// Pulses older than this are ignored by the policy.
    let pulseMaxAgeMs: Int64
    /// The nodes this unit takes gossip from, with the key each was enrolled with.
    private let members: @Sendable () -> [NodeID: Curve25519.Signing.PublicKey]
    /// The key this unit was enrolled with before its last re-enrolment, if any (`UnitSpec.previousPublicKey`).
    private let formerKey: @Sendable () -> Curve25519.Signing.PublicKey?
    /// This unit's own key: it signs every message it sends.
    private let key: NodeKey
    private let nowMs: @Sendable () -> Int64
    private let metrics: UnitMetrics
    private let logger: Logger
    private let boards = Mutex<[String: PulseBoard]>([:])
    /// The config-center's witness of grants between units, per sale, as kept in SQLite (`grant_witness`): a witness
    /// it dominates brings nothing, so its signature is not checked again.
    private let witnesses = Mutex<[String: GrantWitness]>([:])
    /// When the config-center last answered (a genuine message from it), for `rebalance`.
    private let centerHeardMs = Atomic<Int64>(0)
    /// Per sale and donor, when (by this unit's clock) a row of the donor's that this unit took and kept last showed
    /// more granted to it than the copy it kept before: the policy's cooldown (no stock back to its donor within a
    /// second) and its rule to decide on pulses newer than its stock. Compared with the kept copies (SQLite), so a
    /// restart sees no grant as new, and a row refused (overdrawn, conflicting) starts nothing. Soft state, lost at
    /// a restart, as in the simulation (`SimUnit.receivedAtMs`).
    private let receipts = Mutex<[String: [NodeID: Int64]]>([:])

    init(
        desk: PurchaseDesk, store: UnitStore, writer: GroupCommitWriter, gate: GossipGate, policy: RebalancePolicy, granter: RightsGranter,
        pulls: StockPulls, recovery: UnitRecovery, pulseMaxAgeMs: Int64, key: NodeKey,
        members: @escaping @Sendable () -> [NodeID: Curve25519.Signing.PublicKey],
        formerKey: @escaping @Sendable () -> Curve25519.Signing.PublicKey? = { nil }, nowMs: @escaping @Sendable () -> Int64,
        metrics: UnitMetrics, logger: Logger
    ) {
        self.formerKey = formerKey
        self.key = key
        self.metrics = metrics
        self.desk = desk
        self.store = store
        self.writer = writer
        self.gate = gate
        self.policy = policy
        self.granter = granter
        self.pulls = pulls
        self.recovery = recovery
        self.pulseMaxAgeMs = pulseMaxAgeMs
        self.members = members
        self.nowMs = nowMs
        self.logger = logger
    }

    // MARK: Sending

    /// This unit's signed message (the cluster secret's signature and its own): per sale, its own row as stored,
    /// signed now, the other nodes' rows as their owners signed them, and its pulse.
    func sealedEnvelope() async throws -> (body: Data, signature: String, senderSignature: String) {
        let now = nowMs()
        let unit = desk.unit
        let sales = desk.saleTerms().map(\.id).sorted()
        let digests = try await store.rowsToTell(sales: sales, unit: unit).map { stored in
            var rows = stored.copies.mapValues(\.row)
            var signatures = stored.copies.mapValues(\.signature)
            rows[unit] = stored.own
            signatures[unit] = try RowSignature.sign(stored.own, of: unit, sale: stored.sale, key: key)
            return GossipDigest(
                sale: stored.sale, from: unit, rows: rows, signatures: signatures, pulse: desk.pulse(sale: stored.sale, nowMs: now),
                witness: stored.witness?.witness, witnessSignature: stored.witness?.signature)
        }
        let envelope = GossipEnvelope(from: unit, sentAtMs: now, nonce: GossipEnvelope.makeNonce(), digests: digests)
        let body = try WireJSON.encoder.encode(envelope)
        return (body, gate.seal.signature(for: body), try GossipSenderSignature.sign(body, key: key))
    }

    // MARK: Receiving

    /// Why a message naming `node`, from client `address`, is not read at all (`GossipGate.refusalBeforeReading`).
    func refusalBeforeReading(from node: String, address: String) -> GossipRefusal? {
        gate.refusalBeforeReading(sender: node, address: address, receiver: desk.unit, members: members(), nowMs: nowMs())
    }

    /// Checks a message and absorbs it. Throws a `GossipRefusal` and changes nothing when it is not genuine; rows
    /// in it that their owners did not sign are left out. A sender whose pulse says it runs dry (`PullRule.isNeedy`)
    /// rings the gossiper, which runs the policy at once: that is how a pull is answered.
    func receive(body: Data, signature: String?, senderSignature: String?, claimedSender: NodeID? = nil) async throws {
        let opened = try gate.open(
            body: body, signature: signature, senderSignature: senderSignature, claimedSender: claimedSender,
            receiver: desk.unit, members: members(),
            formerKey: formerKey(), nowMs: nowMs(), takesOwnRow: recovery.isRecovering, hasSale: { desk.terms(sale: $0) != nil },
            known: { sale, owner in desk.knownRow(sale: sale, owner: owner) },
            knownWitness: { sale in witnesses.withLock { $0[sale] } })
        for (_, _, reason) in opened.leftOut { metrics.gossipRowRefused(UnitMetrics.RowRefusal(reason)) }
        GossipLog.leftOut(opened, logger: logger)
        try await absorb(opened.envelope)
        if opened.envelope.from == .center { centerHeardMs.store(nowMs(), ordering: .relaxed) }
        let sender = opened.envelope.from
        if opened.envelope.digests.contains(where: { $0.pulse.map { $0.node == sender && pulls.rule.isNeedy($0) } ?? false }) {
            pulls.heardNeed()
        }
        if recovery.isRecovering { await recovery.finishIfReady() }
    }

    /// Writes other nodes' signed rows and the config-center's witness to SQLite (the writer shows the machine what
    /// they bring after the commit); records the sender's pulse. A row that conflicts with its owner's row already kept
    /// (the owner signed two histories), or that gives or sells more than its owner holds, is refused
    /// (`LedgerTables.absorbSigned`); another unit's grant to this one counts only as far as the witness has it. While
    /// the database says the unit recovers from a lost one, it also takes back the copies of its own row that it
    /// signed, and the machine hears from the sender (`.heard`), only if some sale of the message was taken: both
    /// decided inside the transaction, in the writer's order, so a message read before the configuration came does not
    /// count as heard and a restore never lands after recovery finished.
    private func absorb(_ envelope: GossipEnvelope) async throws {
        let unit = desk.unit
        let digests = envelope.digests
        let before = Dictionary(digests.map { ($0.sale, desk.received(sale: $0.sale)) }, uniquingKeysWith: { first, _ in first })
        let absorbed = try await writer.perform { db in
            let sales = try UnitRecords.saleIDs(db)
            let recovering = try UnitRecords.isRecovering(db)
            let absorbed = try digests.filter { sales.contains($0.sale) }.map { digest in
                let ledger = try UnitRecords.ledger(saleID: digest.sale, unit: unit, db)
                let keptBefore = try LedgerTables.signedCopies(saleID: digest.sale, db)
                let outcome = try LedgerTables.absorbSigned(
                    digest.rows.filter { $0.key != unit }, signatures: digest.signatures, saleID: digest.sale,
                    ledger: ledger, receiver: unit, db)
                var counted = RightsLedger(rows: GrantWitness.withoutUnwitnessed(outcome.taken, receiver: unit))
                if let witness = digest.witness, let signature = digest.witnessSignature {
                    counted.merge(RightsLedger(rows: try UnitRecords.absorb(witness, signature: signature, saleID: digest.sale, unit: unit, db)))
                }
                // After the witness: what peers gave this unit must count before what it sold with it comes back
                // (SQLite refuses sales beyond the rights it knows of).
                if recovering, let mine = digest.rows[unit] {
                    try UnitRecords.restore(mine, of: unit, saleID: digest.sale, db)
                }
                // Other units whose kept row now grants this unit more than before.
                let donors = outcome.taken.compactMap { owner, row -> NodeID? in
                    guard owner != unit, owner != .center, let total = row.grantedTo[unit] else { return nil }
                    return total > keptBefore[owner]?.row.grantedTo[unit] ?? 0 ? owner : nil
                }
                return (digest, outcome, counted, donors)
            }
            var events = absorbed.map { UnitMachine.Event.merged(sale: $0.0.sale, others: $0.2) }
            if recovering, !absorbed.isEmpty { events.append(.heard(from: envelope.from)) }
            return (absorbed, events)
        }
        let now = nowMs()
        receipts.withLock { receipts in
            for (digest, _, _, donors) in absorbed {
                for donor in donors { receipts[digest.sale, default: [:]][donor] = now }
            }
        }
        for (digest, outcome, _, _) in absorbed {
            for owner in outcome.conflicting { refuse(owner, .conflicting, sale: digest.sale, from: envelope.from) }
            for owner in outcome.overdrawn { refuse(owner, .overdrawn, sale: digest.sale, from: envelope.from) }
            if let witness = digest.witness {
                witnesses.withLock { kept in
                    if kept[digest.sale].map({ witness.dominates($0) }) ?? true { kept[digest.sale] = witness }
                }
            }
            let brought = desk.received(sale: digest.sale) - (before[digest.sale] ?? 0)
            if brought > 0 {
                metrics.grantsReceived.increment()
                metrics.rightsReceived.increment(by: brought)
            }
            if let pulse = digest.pulse, pulse.node == envelope.from {
                boards.withLock { $0[digest.sale, default: PulseBoard()].record(pulse, heardAtMs: nowMs()) }
            }
        }
    }

    /// A row signed by `owner` was refused: it conflicts with the owner's row kept here (the owner showed different
    /// nodes different histories), or it gives or sells more than the owner holds. Either is proof the owner's key
    /// was used to cheat (or, for an overdrawn row, that this unit has not yet heard of a grant to the owner: it is
    /// taken when it comes again after that grant).
    private func refuse(_ owner: NodeID, _ reason: UnitMetrics.RowRefusal, sale: String, from sender: NodeID) {
        metrics.gossipRowRefused(reason)
        GossipLog.refused(owner: owner, sale: sale, from: sender, conflicting: reason == .conflicting, logger: logger)
    }

    // MARK: Rebalancing

    /// Whether the config-center answered within the last `pulseMaxAgeMs`.
    var hearsFromCenter: Bool { nowMs() - centerHeardMs.load(ordering: .relaxed) <= pulseMaxAgeMs }

    /// The peers to ask for stock now, over every open sale (`PullRule.shouldAsk`, then `donors`); each ask is noted
    /// for the rule's spacing. Empty when no sale here runs dry, or no peer is known.
    func donorsToAsk() -> Set<NodeID> {
        let now = nowMs()
        var donors: Set<NodeID> = []
        for terms in desk.saleTerms() where terms.phase(atMs: now) == .open {
            guard let view = desk.balance(sale: terms.id, nowMs: now) else { continue }
            let peers = boards.withLock { $0[terms.id]?.fresh(atMs: now, maxAgeMs: pulseMaxAgeMs, excluding: desk.unit) } ?? []
            guard let (chosen, ask) = pulls.rule.ask(
                me: view.pulse, rightsElsewhere: view.rightsElsewhere, last: pulls.lastAsk(sale: terms.id), received: view.received,
                peers: peers, nowMs: now)
            else { continue }
            pulls.noteAsk(sale: terms.id, ask)
            donors.formUnion(chosen)
        }
        return donors
    }

    /// Runs the policy for every open sale and makes its grants: reserved in memory first (so no order takes the
    /// same stock), then written to SQLite, whose counters refuse a grant beyond the unit's rights. Returns the peers
    /// given to. Nothing is given while the config-center is not heard from: a receiver can sell a grant only once
    /// the config-center witnessed it (`GrantWitness`), and stock given then would wait, unsold at both ends.
    @discardableResult
    func rebalance() async -> [NodeID] {
        guard hearsFromCenter else { return [] }
        let now = nowMs()
        var given: Set<NodeID> = []
        for terms in desk.saleTerms() where terms.phase(atMs: now) == .open {
            guard let view = desk.balance(sale: terms.id, nowMs: now) else { continue }
            // A receipt later than now is from before the clock was set back: it no longer holds anything back.
            let received = receipts.withLock { $0[terms.id] ?? [:] }.filter { $0.value <= now }
            // Pulses heard since this unit last received stock: what peers said before it does not count.
            let peers = boards.withLock {
                $0[terms.id]?.fresh(atMs: now, maxAgeMs: pulseMaxAgeMs, excluding: desk.unit, heardSince: received.values.max())
            } ?? []
            let grants = policy.grants(
                me: view.pulse, peers: peers, allocation: view.allocation, receivedAgoMs: received.mapValues { now - $0 })
            for (node, amount) in grants.sorted(by: { $0.key < $1.key }) {
                if await granter.grant(amount, of: terms.id, to: node) { given.insert(node) }
            }
        }
        return given.sorted()
    }
}
