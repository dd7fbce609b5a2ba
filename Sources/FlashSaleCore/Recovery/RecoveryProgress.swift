// When a unit that lost its database has heard enough of its own past to sell again.

/// A unit on a new database may have sold before. Its own row survives only in other nodes' copies: the
/// config-center's (from reports and gossip) and its peers' (from gossip, often fresher). It sells again once it
/// has the config-center's copy and has heard from every peer, or, when some peer stays silent, once `patienceMs`
/// has passed since the config-center's copy came back: a down peer must not keep a unit out of the sale for
/// ever. What no other node had heard of before the disk was lost cannot be recovered by anyone.
public struct RecoveryProgress: Sendable, Equatable {
    /// How long to wait for silent peers after the config-center's copy is back.
    public let patienceMs: Int64
    public private(set) var centerRestoredAtMs: Int64?
    /// Peers not heard from yet, once the config-center said who they are.
    public private(set) var silentPeers: Set<NodeID> = []

    public init(patienceMs: Int64) {
        self.patienceMs = max(patienceMs, 0)
    }

    /// The config-center's copy is restored; `peers` are the other units of the cluster.
    public mutating func centerRestored(peers: Set<NodeID>, atMs nowMs: Int64) {
        guard centerRestoredAtMs == nil else { return }
        centerRestoredAtMs = nowMs
        silentPeers = peers
    }

    /// A genuine message from `node` was absorbed, its copy of this unit's row with it. Messages before the
    /// config-center's copy do not count: the unit did not know its sales yet, so it could not take their rows.
    public mutating func heard(from node: NodeID) {
        silentPeers.remove(node)
    }

    /// Whether the unit may sell again at `nowMs`.
    public func isComplete(atMs nowMs: Int64) -> Bool {
        guard let restoredAt = centerRestoredAtMs else { return false }
        if silentPeers.isEmpty { return true }
        let (deadline, overflow) = restoredAt.addingReportingOverflow(patienceMs)
        return nowMs >= (overflow ? .max : deadline)
    }
}
