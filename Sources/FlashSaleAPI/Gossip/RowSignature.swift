// A ledger row's signature by the node that owns it: what lets any node relay a row and no node alter one.

public import Crypto
public import FlashSaleCore
import Foundation

/// Ed25519, by the owner's own key (`NodeKey`), over the row's canonical text: the sale, the owner and every entry.
/// The sender's signature (`GossipSenderSignature`) proves who sent a message; this proves who wrote each row in it,
/// so a member that passes rows on cannot forge or alter another node's row (a grant to itself, say, or sales that
/// never happened), and a unit that lost its database takes back only copies of its row that it signed itself.
///
/// A row carries no version of its own: every entry only grows, so the row is its own version, and an honest
/// owner's rows are ordered by `LedgerRow.dominates`. Two signed rows of one owner where neither dominates the other
/// are proof that the owner equivocated (`SignedRowBook`).
public enum RowSignature {
    /// The bytes signed: one entry per line, grants sorted by grantee, so every node computes the same text.
    static func message(_ row: LedgerRow, of owner: NodeID, sale: String) -> Data {
        var text = "flashsale-row\n\(sale)\n\(owner.rawValue)\n\(row.minted)\n\(row.consumed)\n\(row.released)\n"
        for (grantee, amount) in row.grantedTo.sorted(by: { $0.key < $1.key }) {
            text += "\(grantee.rawValue)=\(amount)\n"
        }
        return Data(text.utf8)
    }

    /// `key`'s signature of `row` as `owner`'s row of `sale`, hex.
    public static func sign(_ row: LedgerRow, of owner: NodeID, sale: String, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(row, of: owner, sale: sale)))
    }

    /// Whether `signature` (hex) is `publicKey`'s over `row` as `owner`'s row of `sale`.
    public static func isValid(
        _ signature: String?, row: LedgerRow, of owner: NodeID, sale: String, publicKey: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard let signature, signature.utf8.count == 128, let bytes = LowercaseHex.bytes(signature) else { return false }
        return publicKey.isValidSignature(bytes, for: message(row, of: owner, sale: sale))
    }
}
