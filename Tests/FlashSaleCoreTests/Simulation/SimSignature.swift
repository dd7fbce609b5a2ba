// Row signatures in the simulation: who signed which row, unforgeable by construction.

import FlashSaleCore

/// Stands for `RowSignature` (Ed25519 by the owner's key, in FlashSaleAPI, tested with real keys in
/// `RowSignatureTests`): the signature names its signer and the exact row, so it is valid only for that row and
/// only when the signer is the owner. The simulation's nodes sign only as themselves (the byzantine node included),
/// which is what a key that is not shared guarantees.
enum SimSignature {
    /// The signer, and the row's hash (cheap: the seeds sign millions of rows; a different row colliding with a
    /// signed one's 64-bit hash is as unlikely as forging Ed25519).
    static func sign(_ row: LedgerRow, of owner: NodeID, by signer: NodeID) -> String {
        var hasher = Hasher()
        hasher.combine(owner)
        hasher.combine(row)
        return "\(signer.rawValue)#\(hasher.finalize())"
    }

    static func isValid(_ signature: String?, row: LedgerRow, of owner: NodeID) -> Bool {
        signature == sign(row, of: owner, by: owner)
    }

    /// Stands for `WitnessSignature`: `signer`'s signature of a witness of grants between units.
    static func sign(_ witness: GrantWitness, by signer: NodeID) -> String {
        var hasher = Hasher()
        hasher.combine(witness)
        return "\(signer.rawValue)#witness#\(hasher.finalize())"
    }

    /// Whether the config-center signed `witness` (what `GossipGate` checks under its pinned key).
    static func isWitnessed(_ signature: String?, _ witness: GrantWitness) -> Bool {
        signature == sign(witness, by: .center)
    }

    /// `digest`'s rows that their owners signed (what `GossipGate` lets through), without `receiver`'s own.
    static func ownersRows(of digest: GossipDigest, excluding receiver: NodeID) -> [NodeID: LedgerRow] {
        digest.rows.filter { owner, row in
            owner != receiver && isValid(digest.signatures[owner], row: row, of: owner)
        }
    }
}

/// The signed rows of other nodes a node keeps and passes on (`ledger_signed_row` in the node), and what it took in.
struct SimKeptRows {
    private(set) var rows: [NodeID: LedgerRow] = [:]
    private(set) var signatures: [NodeID: String] = [:]
    /// Rows refused, by reason, for the run's statistics.
    private(set) var refusedConflicting = 0
    private(set) var refusedOverdrawn = 0

    /// The newest witness of grants between units the node has seen, signed by the config-center, passed on as it came.
    private(set) var witness: GrantWitness?
    private(set) var witnessSignature: String?
    private(set) var refusedWitnesses = 0
    /// The mutation check: counts other units' grants as their rows say, witnessed or not (what nodes did before
    /// the witness), so that a run shows what equivocation does without it.
    var trustsRows = false

    /// Takes in `digest` by the node's rule into `ledger`; returns what the receiver may count: the rows taken
    /// (`RowIntake`) without other units' grants to it (`GrantWitness.withoutUnwitnessed`), and the grants to it that
    /// the digest's witness vouches for, when the config-center signed it.
    mutating func count(_ digest: GossipDigest, receiver: NodeID, ledger: RightsLedger) -> RightsLedger {
        let taken = take(digest, receiver: receiver, ledger: ledger)
        var counted = RightsLedger(rows: trustsRows ? taken : GrantWitness.withoutUnwitnessed(taken, receiver: receiver))
        if receiver != .center, let offered = digest.witness {
            if SimSignature.isWitnessed(digest.witnessSignature, offered) {
                if witness.map({ offered.dominates($0) }) ?? true {
                    witness = offered
                    witnessSignature = digest.witnessSignature
                }
                counted.merge(RightsLedger(rows: offered.rows(except: receiver)))
            } else {
                refusedWitnesses += 1
            }
        }
        return counted
    }

    /// Takes in `digest` by the node's rule (`RowIntake`) into `ledger`; returns the rows taken.
    mutating func take(_ digest: GossipDigest, receiver: NodeID, ledger: RightsLedger) -> [NodeID: LedgerRow] {
        let intake = RowIntake(SimSignature.ownersRows(of: digest, excluding: receiver), kept: rows, ledger: ledger)
        for (owner, row) in intake.taken {
            rows[owner] = row
            signatures[owner] = digest.signatures[owner]
        }
        refusedConflicting += intake.conflicting.count
        refusedOverdrawn += intake.overdrawn.count
        return intake.taken
    }

    /// A digest of `owner`'s own `row`, signed now, the kept rows as their owners signed them, and the witness kept.
    func digest(sale: String, owner: NodeID, row: LedgerRow, pulse: Pulse?) -> GossipDigest {
        var all = rows
        var signed = signatures
        all[owner] = row
        signed[owner] = SimSignature.sign(row, of: owner, by: owner)
        return GossipDigest(
            sale: sale, from: owner, rows: all, signatures: signed, pulse: pulse, witness: witness,
            witnessSignature: witnessSignature)
    }
}
