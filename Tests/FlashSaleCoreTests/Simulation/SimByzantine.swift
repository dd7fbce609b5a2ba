// A member whose key an attacker holds: it signs what it likes as itself and passes on anything it has seen.

import FlashSaleCore
import TestSupport

/// The byzantine node of the simulation. It sells nothing and returns nothing; it draws grants to itself by claiming
/// a busy pulse; and to every node it talks to it sends, besides its own row, other owners' rows forged (signed by
/// itself), altered after their owner signed them, replayed from long ago, or passed on as they were, and a witness
/// of grants between units forged (signed by itself) or replayed. Its main row is one history that only grows, with
/// grants and sales it makes up, often beyond what it holds (in half the runs); and it equivocates: to a node it often sends another
/// history instead, which gives that node everything it holds, as it does for the next node (docs/ARCHITECTURE.md,
/// "Trust": a grant between units counts only as far as the config-center witnessed it).
struct SimByzantine {
    let id: NodeID
    let sale: String
    /// Its own row, as it claims it: one history.
    private(set) var own = LedgerRow()
    /// Every signed row of every owner it has seen, oldest first.
    private var seen: [NodeID: [(row: LedgerRow, signature: String)]] = [:]
    private(set) var attacksSent = 0
    /// Histories other than the main one, each signed for one node only.
    private(set) var forks: [NodeID: LedgerRow] = [:]
    /// The newest genuine witness it overheard, with its signature, to replay.
    private var witness: (GrantWitness, String)?
    /// Set at the end of the sale: its own row stops growing, so that the replicas can agree on it.
    private var frozen = false

    /// Whether its main row stays within what it holds (so that its forks are not refused as overdrawn, and each
    /// gives away real rights), rather than making up grants and sales beyond it.
    let keepsWithinHeld: Bool

    init(id: NodeID, sale: String, keepsWithinHeld: Bool = false) {
        self.id = id
        self.sale = sale
        self.keepsWithinHeld = keepsWithinHeld
    }

    mutating func stopGrowing() { frozen = true }

    /// Remembers every row of `digest` with its signature, for later forgeries and replays.
    mutating func overhear(_ digest: GossipDigest) {
        for (owner, row) in digest.rows where owner != id {
            guard let signature = digest.signatures[owner], SimSignature.isValid(signature, row: row, of: owner) else { continue }
            if seen[owner]?.last?.row != row { seen[owner, default: []].append((row, signature)) }
        }
        if let offered = digest.witness, let signature = digest.witnessSignature { witness = (offered, signature) }
    }

    /// What it holds, in the newest rows it has seen of each owner: grants to it, less what its main row gives or sells.
    private var held: Int64 {
        let received = seen.values.reduce(Int64(0)) { $0 + ($1.last?.row.grantedTo[id] ?? 0) }
        return received - own.grantedTotal - own.consumed + own.released
    }

    /// Its message to `target`: its own row (now and then grown by a made-up grant to `target` or made-up sales),
    /// and for each owner it knows of, one of: a forgery, an altered row, a replay, or the row as it was signed.
    mutating func attack(_ target: NodeID, nowMs: Int64, rng: inout SplitMix64) -> GossipDigest {
        attacksSent += 1
        if !frozen, !keepsWithinHeld, rng.chance(30) { own.grantedTo[target, default: 0] += rng.int64(1...50) }
        if !frozen, !keepsWithinHeld, rng.chance(10) { own.consumed += rng.int64(1...5) }
        if !frozen, target != .center, held > 0, forks[target] != nil || rng.chance(50) {
            // Equivocation: a history only `target` sees, giving it everything held (as the fork for the next node
            // gives that node), and growing as more is received. It is what `target` hears of this row from now on.
            var fork = own
            let given = fork.grantedTo[target, default: 0] + held
            fork.grantedTo[target] = max(given, forks[target]?.grantedTo[target] ?? 0)
            if let previous = forks[target], !fork.dominates(previous) { fork = previous }
            forks[target] = fork
        }
        let mine = forks[target] ?? own
        var rows: [NodeID: LedgerRow] = [id: mine]
        var signatures: [NodeID: String] = [id: SimSignature.sign(mine, of: id, by: id)]
        let owners = Set(seen.keys).union([.center, target]).subtracting([id]).sorted()
        for owner in owners {
            let history = seen[owner] ?? []
            let latest = history.last ?? (LedgerRow(), "")
            var row = latest.row
            switch rng.int(0...4) {
            case 0:  // Forged: a grant to the target, signed by the attacker.
                row.grantedTo[target, default: 0] += rng.int64(1...1_000)
                if owner == .center { row.minted += rng.int64(0...1_000) }
                rows[owner] = row
                signatures[owner] = SimSignature.sign(row, of: owner, by: id)
            case 1:  // Altered after signing: the owner's signature on other numbers.
                row.grantedTo[target, default: 0] += rng.int64(1...1_000)
                row.released = min(row.released + rng.int64(0...3), row.consumed)
                rows[owner] = row
                signatures[owner] = latest.signature
            case 2:  // Replayed: an old genuine row.
                guard let old = history.randomElement(using: &rng) else { continue }
                rows[owner] = old.row
                signatures[owner] = old.signature
            case 3:  // Another owner's genuine row, passed on.
                guard !history.isEmpty else { continue }
                rows[owner] = latest.row
                signatures[owner] = latest.signature
            default:  // Unsigned.
                row.grantedTo[target, default: 0] += 1
                rows[owner] = row
            }
        }
        // A busy pulse with nothing to sell draws honest units' grants to it.
        let pulse = Pulse(node: id, available: 0, demandPerSecond: 1_000, heartbeatMs: nowMs)
        var digest = GossipDigest(sale: sale, from: id, rows: rows, signatures: signatures, pulse: pulse)
        if rng.chance(50) {
            // A witness of its own making: everything it forked to `target`, and more.
            let forged = GrantWitness(grants: [id: [target: rng.int64(1...1_000)]])
            digest.witness = forged
            digest.witnessSignature = SimSignature.sign(forged, by: id)
        } else if let (genuine, signature) = witness {
            digest.witness = genuine
            digest.witnessSignature = signature
        }
        return digest
    }
}
