// A member whose key an attacker holds: it signs what it likes as itself and passes on anything it has seen.

import FlashSaleCore

/// The byzantine node of the simulation. It sells nothing and returns nothing; it draws grants to itself by claiming
/// a busy pulse; and to every node it talks to it sends, besides its own row, other owners' rows forged (signed by
/// itself), altered after their owner signed them, replayed from long ago, or passed on as they were. Its own row is
/// one history that only grows, with grants and sales it makes up, often beyond what it holds. What it does not do:
/// sign two histories (equivocate), which the nodes detect but do not prevent (docs/ARCHITECTURE.md, "Trust").
struct SimByzantine {
    let id: NodeID
    let sale: String
    /// Its own row, as it claims it: one history.
    private(set) var own = LedgerRow()
    /// Every signed row of every owner it has seen, oldest first.
    private var seen: [NodeID: [(row: LedgerRow, signature: String)]] = [:]
    private(set) var attacksSent = 0
    /// Set at the end of the sale: its own row stops growing, so that the replicas can agree on it.
    private var frozen = false

    init(id: NodeID, sale: String) {
        self.id = id
        self.sale = sale
    }

    mutating func stopGrowing() { frozen = true }

    /// Remembers every row of `digest` with its signature, for later forgeries and replays.
    mutating func overhear(_ digest: GossipDigest) {
        for (owner, row) in digest.rows where owner != id {
            guard let signature = digest.signatures[owner], SimSignature.isValid(signature, row: row, of: owner) else { continue }
            if seen[owner]?.last?.row != row { seen[owner, default: []].append((row, signature)) }
        }
    }

    /// Its message to `target`: its own row (now and then grown by a made-up grant to `target` or made-up sales),
    /// and for each owner it knows of, one of: a forgery, an altered row, a replay, or the row as it was signed.
    mutating func attack(_ target: NodeID, nowMs: Int64, rng: inout SplitMix64) -> GossipDigest {
        attacksSent += 1
        if !frozen, rng.chance(30) { own.grantedTo[target, default: 0] += rng.int64(1...50) }
        if !frozen, rng.chance(10) { own.consumed += rng.int64(1...5) }
        var rows: [NodeID: LedgerRow] = [id: own]
        var signatures: [NodeID: String] = [id: SimSignature.sign(own, of: id, by: id)]
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
        return GossipDigest(sale: sale, from: id, rows: rows, signatures: signatures, pulse: pulse)
    }
}
