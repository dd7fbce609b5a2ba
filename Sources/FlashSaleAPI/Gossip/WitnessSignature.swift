// The config-center's signature of its account of grants between units: what lets a unit spend a peer's grant.

public import Crypto
public import FlashSaleCore
import Foundation

/// Ed25519, by the config-center's own key (the one units pin), over a `GrantWitness`'s canonical text: the sale and
/// every grant. Units pass the witness on as they got it, so it reaches a receiver by any path; no unit can forge
/// or raise one. A replayed older witness is harmless: a unit counts the largest witnessed amount it has seen.
public enum WitnessSignature {
    /// The bytes signed: one grant per line, sorted by giver then receiver, so every node computes the same text.
    static func message(_ witness: GrantWitness, sale: String) -> Data {
        var text = "flashsale-witness\n\(sale)\n"
        for (from, row) in witness.grants.sorted(by: { $0.key < $1.key }) {
            for (to, amount) in row.sorted(by: { $0.key < $1.key }) { text += "\(from.rawValue)>\(to.rawValue)=\(amount)\n" }
        }
        return Data(text.utf8)
    }

    /// `key`'s signature (the config-center's) of `witness` for `sale`, hex.
    public static func sign(_ witness: GrantWitness, sale: String, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(witness, sale: sale)))
    }

    /// Whether `signature` (hex) is `publicKey`'s over `witness` for `sale`.
    public static func isValid(
        _ signature: String?, witness: GrantWitness, sale: String, publicKey: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard let signature, signature.utf8.count == 128, let bytes = LowercaseHex.bytes(signature) else { return false }
        return publicKey.isValidSignature(bytes, for: message(witness, sale: sale))
    }
}
