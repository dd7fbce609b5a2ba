// When a unit gives part of its stock rights to a peer: only donors decide, and only toward demand.

/// The donor-driven rebalancing rule (docs/ARCHITECTURE.md, "Gossip and rebalancing"). A unit looks at its own
/// pulse and its peers' and decides what to grant; it never asks for stock, so two units can never both take the
/// same rights.
///
/// A grant goes to a peer only when the donor's stock would last `ratio` times longer than the peer's at current
/// demand (hysteresis: after a grant both last about as long, far from the threshold, so stock does not travel
/// back). The donor gives `share` of what would equalize the two, keeps `floor` for its own buyers, and gives no
/// less than `minimumGrant`. In the end-game (little stock left in the whole cluster) the floor is dropped and
/// the last crumbs go to where buyers are.
public struct RebalancePolicy: Sendable, Hashable {
    /// How many times longer the donor's stock must last than the peer's before it gives.
    public var ratio: Double
    /// Part of the equalizing amount given at once (several donors may answer the same need).
    public var share: Double
    /// Rights a donor keeps for its own buyers, outside the end-game.
    public var floor: Int64
    /// Smallest grant worth a message.
    public var minimumGrant: Int64
    /// When the cluster's total available stock is at most this, crumbs move freely to demand.
    public var endgameTotal: Int64
    /// Demand below this (attempts per second) counts as none.
    public var idleDemand: Double

    public init(
        ratio: Double = 2, share: Double = 0.5, floor: Int64 = 1, minimumGrant: Int64 = 1, endgameTotal: Int64 = 50,
        idleDemand: Double = 0.05
    ) {
        self.ratio = ratio
        self.share = share
        self.floor = floor
        self.minimumGrant = minimumGrant
        self.endgameTotal = endgameTotal
        self.idleDemand = idleDemand
    }

    /// Grants `me` should make now, by peer. `peers` are the latest pulses of the other units (not `me`).
    /// The amounts add up to at most `me.available`.
    public func grants(me: Pulse, peers: [Pulse]) -> [NodeID: Int64] {
        var left = me.available
        guard left > 0 else { return [:] }
        let needy = peers.filter { $0.node != me.node && $0.demandPerSecond >= idleDemand }
            .sorted { ($0.secondsOfStock, $0.node) < ($1.secondsOfStock, $1.node) }
        guard !needy.isEmpty else { return [:] }
        let clusterAvailable = peers.reduce(max(me.available, 0)) { $0 + max($1.available, 0) }
        let endgame = clusterAvailable <= endgameTotal
        let myDemand = me.demandPerSecond >= idleDemand ? me.demandPerSecond : 0
        var result: [NodeID: Int64] = [:]

        if endgame && myDemand == 0 {
            // Nobody buys here and little is left anywhere: everything goes to the busiest peer.
            if let busiest = needy.max(by: { ($0.demandPerSecond, $1.node) < ($1.demandPerSecond, $0.node) }) {
                result[busiest.node] = left
            }
            return result
        }

        let keep = endgame ? 0 : floor
        for peer in needy {
            let peerAvailable = max(peer.available, 0)
            let mySeconds = myDemand > 0 ? Double(left) / myDemand : .infinity
            guard mySeconds > ratio * peer.secondsOfStock else { continue }
            // The split that would make both last equally long, then `share` of the way there.
            let total = Double(left + peerAvailable)
            let myEqualShare = total * myDemand / (myDemand + peer.demandPerSecond)
            let surplus = Double(left) - myEqualShare
            var amount = Int64((surplus * share).rounded(.up))
            amount = min(amount, left - keep)
            guard amount >= minimumGrant else { continue }
            result[peer.node] = amount
            left -= amount
        }
        return result
    }
}
