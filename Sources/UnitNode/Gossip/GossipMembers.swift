// Whom a unit takes gossip from, and by which key each must have signed.

import Crypto
import FlashSaleAPI
import FlashSaleCore

/// The members of the cluster as the unit knows them: every unit in the configuration it follows (signed by the
/// config-center) that was enrolled with a key, and the config-center under its pinned key. A node without a known
/// key is no member: its messages are refused.
enum GossipMembers {
    static func keys(units: [UnitSpec], centerKey: String?) -> [NodeID: Curve25519.Signing.PublicKey] {
        var members: [NodeID: Curve25519.Signing.PublicKey] = [:]
        for unit in units {
            if let text = unit.publicKey, let key = NodeKey.publicKey(text) { members[NodeID(unit.id)] = key }
        }
        if let centerKey, let key = NodeKey.publicKey(centerKey) { members[.center] = key }
        return members
    }
}
