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
///
/// Three rules keep stock from travelling for nothing (issue 16): a donor whose own buyers are buying keeps
/// `floorShare` of its allocation for them, or what they buy in `floorSeconds` if that is less; a grant is at most what the receiver sells in `horizonSeconds` at its
/// demand, so one purchase in an idle region cannot pull half the stock there; and a unit gives nothing to a peer
/// that granted to it within `cooldownMs`, so stock never moves away and back within that time. (The caller also
/// leaves out pulses heard before its own last receipt, `PulseBoard.fresh(heardSince:)`: two units that were both dry
/// and both just received stock would otherwise each give to the other, each seeing the other's pulse from before.)
///
/// Donors still decide alone. A dry unit asks (`PullRule`), and a donor that hears the ask runs this same rule at
/// once instead of at its next round: a pull only makes the donor's decision sooner, never larger.
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
    /// Part of its allocation (what the config-center granted it) a donor with buyers of its own keeps for them,
    /// outside the end-game.
    public var floorShare: Double
    /// The allocation floor is at most what the donor's own buyers take in this many seconds.
    public var floorSeconds: Double
    /// A grant is at most what its receiver sells in this many seconds at its demand (and at least `minimumGrant`).
    public var horizonSeconds: Double
    /// A unit gives nothing to a peer that granted to it this recently: stock does not go back where it came from.
    public var cooldownMs: Int64

    public init(
        ratio: Double = 2, share: Double = 0.5, floor: Int64 = 0, minimumGrant: Int64 = 1, endgameTotal: Int64 = 50,
        idleDemand: Double = 0.05, floorShare: Double = 0.1, floorSeconds: Double = 0.25, horizonSeconds: Double = 5,
        cooldownMs: Int64 = 1_000
    ) {
        precondition(ratio >= 1 && share > 0 && share <= 1 && floor >= 0 && minimumGrant >= 1 && endgameTotal >= 0)
        precondition(idleDemand >= 0 && floorShare >= 0 && floorShare <= 1 && floorSeconds >= 0 && horizonSeconds > 0 && cooldownMs >= 0)
        self.ratio = ratio
        self.share = share
        self.floor = floor
        self.minimumGrant = minimumGrant
        self.endgameTotal = endgameTotal
        self.idleDemand = idleDemand
        self.floorShare = floorShare
        self.floorSeconds = floorSeconds
        self.horizonSeconds = horizonSeconds
        self.cooldownMs = cooldownMs
    }

    /// Grants `me` should make now, by peer. `peers` are the latest pulses of the other units (not `me`);
    /// `allocation` is what the config-center granted `me` (for the floor); `receivedAgoMs` says, per peer, how long
    /// ago its latest grant reached `me` (for the cooldowns). The amounts add up to at most `me.available`.
    public func grants(me: Pulse, peers: [Pulse], allocation: Int64 = 0, receivedAgoMs: [NodeID: Int64] = [:]) -> [NodeID: Int64] {
        var left = me.available
        guard left > 0 else { return [:] }
        let needy = peers.filter {
            $0.node != me.node && $0.demandPerSecond >= idleDemand && (receivedAgoMs[$0.node] ?? .max) >= cooldownMs
        }
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

        // The floor is for buyers who are here, as many as they buy in `floorSeconds`: a unit whose buyers drift away
        // keeping a tenth of its allocation would strand it while others' buyers wait.
        let allocationFloor = min(
            (Double(max(allocation, 0)) * floorShare).rounded(.down), (myDemand * floorSeconds).rounded(.up))
        let keep = endgame ? 0 : max(floor, Int64(allocationFloor))
        for peer in needy {
            let peerAvailable = max(peer.available, 0)
            let mySeconds = myDemand > 0 ? Double(left) / myDemand : .infinity
            guard mySeconds > ratio * peer.secondsOfStock else { continue }
            // The split that would make both last equally long, then `share` of the way there.
            let total = Double(left + peerAvailable)
            let myEqualShare = total * myDemand / (myDemand + peer.demandPerSecond)
            let surplus = Double(left) - myEqualShare
            var amount = Int64((surplus * share).rounded(.up))
            amount = min(amount, left - keep, horizonCap(peer))
            guard amount >= minimumGrant else { continue }
            result[peer.node] = amount
            left -= amount
        }
        return result
    }

    /// The most `peer` can sell within `horizonSeconds` at its demand, and at least `minimumGrant`. Demand comes
    /// range-checked (`WireBounds.rate`), so the product is finite; it is capped before it becomes an integer.
    private func horizonCap(_ peer: Pulse) -> Int64 {
        let sells = (peer.demandPerSecond * horizonSeconds).rounded(.up)
        return max(minimumGrant, sells >= Double(WireBounds.available.upperBound) ? WireBounds.available.upperBound : Int64(sells))
    }
}
