// Whom a node takes gossip from, and by which key each must have signed.

public import Crypto
public import FlashSaleCore

/// The members of the cluster, each under the key it was enrolled with: every unit enrolled with a key (at a unit,
/// those of the configuration it follows, signed by the config-center; at the config-center, those of its store) and,
/// at a unit, the config-center under its pinned key. A node without a known key is no member: its messages are refused.
public enum GossipMembers {
    public static func keys(units: [UnitSpec], centerKey: String? = nil) -> [NodeID: Curve25519.Signing.PublicKey] {
        var members: [NodeID: Curve25519.Signing.PublicKey] = [:]
        for unit in units {
            if let text = unit.publicKey, let key = NodeKey.publicKey(text) { members[NodeID(unit.id)] = key }
        }
        if let centerKey, let key = NodeKey.publicKey(centerKey) { members[.center] = key }
        return members
    }
}
