// Who serves a sale's buyers in one region, and who guards what they bought: the owners less the units retired.

/// One region's owners of a sale (fixed when it opened, `SaleOwners`) and the units the config-center has retired
/// from them since, in the order it retired them. A buyer's **owner** is the member that scores them highest
/// (`UnitOwnership`) and their **guardian** the member that scores them second: the unit that holds a copy of every
/// order acknowledged to them and becomes their owner if the owner is retired.
///
/// Retirement is for the rest of the sale and one unit at a time, so the views a sale goes through form one chain:
/// each is the previous with one more unit retired, and `number` (how many are retired) orders them. A retired unit
/// owns and guards no buyer; it keeps its orders and its stock rights, which leave through gossip like a late
/// joiner's.
public struct CustodyView: Sendable, Hashable, CustomStringConvertible {
    /// The sale's owners in the region, sorted.
    public let owners: [NodeID]
    /// Owners retired, first retired first.
    public let retired: [NodeID]
    /// The owners not retired.
    public let members: [NodeID]
    /// `members`' ids, kept for the hash (asked for on every purchase and every copy).
    private let memberIDs: [String]

    /// Nil when `retired` names a unit twice or one that is no owner: no config-center writes such a view.
    public init?(owners: [NodeID], retired: [NodeID] = []) {
        let sorted = Array(Set(owners)).sorted()
        guard Set(retired).count == retired.count, retired.allSatisfy(sorted.contains) else { return nil }
        self.owners = sorted
        self.retired = retired
        self.members = sorted.filter { !retired.contains($0) }
        self.memberIDs = members.map(\.rawValue)
    }

    /// How many units are retired: a later view of the same sale has a larger number.
    public var number: Int { retired.count }

    public var description: String { "view \(number) (members \(members.map(\.rawValue).joined(separator: ",")))" }

    public func isMember(_ unit: NodeID) -> Bool { members.contains(unit) }

    /// The member that serves `user`.
    public func owner(of user: String) -> NodeID? {
        // A region of one unit (every single-unit region, asked on every purchase) needs no hash.
        if members.count == 1 { return members[0] }
        return UnitOwnership.owner(of: user, among: memberIDs).map { NodeID($0) }
    }

    /// The member that holds a copy of `user`'s orders, nil when one member is left.
    public func guardian(of user: String) -> NodeID? {
        guard members.count > 1 else { return nil }
        return UnitOwnership.successor(of: user, among: memberIDs).map { NodeID($0) }
    }

    /// This view with `unit` retired as well; nil when it is no member or the last one (a region keeps one owner).
    public func retiring(_ unit: NodeID) -> CustodyView? {
        guard isMember(unit), members.count > 1 else { return nil }
        return CustodyView(owners: owners, retired: retired + [unit])
    }

    /// Whether `other` is this view or an earlier one of the same chain.
    public func follows(_ other: CustodyView) -> Bool {
        owners == other.owners && retired.count >= other.retired.count && Array(retired.prefix(other.retired.count)) == other.retired
    }
}
