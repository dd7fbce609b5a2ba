// When a unit that runs dry asks its peers for stock at once, and whom it asks.

/// Demand-driven pulls (docs/ARCHITECTURE.md, "Gossip and rebalancing"). Donors alone decide what to give
/// (`RebalancePolicy`), but from gossip every round a dry unit could only wait for them: its buyers heard "try
/// again" for a round or more. Under this rule a unit whose stock runs out within `horizonMs` at its current demand,
/// while the ledger says others hold rights, sends its pulse at once to the `fanout` peers whose stock would last
/// longest; a donor that hears a needy pulse (`isNeedy`) runs its policy at once instead of at its next round. A
/// pull thus makes a grant sooner, never larger, and the grant is durable before it is sent, exactly as in a round:
/// the bounded counter and the invariants are untouched.
public struct PullRule: Sendable, Hashable {
    /// How far ahead a unit looks: about one gossip interval.
    public var horizonMs: Int64
    /// Demand below this (attempts per second) counts as none, as in `RebalancePolicy.idleDemand`.
    public var idleDemand: Double
    /// Peers asked at once.
    public var fanout: Int
    /// Shortest time between two asks for one sale: an ask that brought nothing is repeated after this long.
    public var spacingMs: Int64

    public init(horizonMs: Int64 = 200, idleDemand: Double = 0.05, fanout: Int = 2, spacingMs: Int64 = 100) {
        precondition(horizonMs > 0 && idleDemand >= 0 && fanout > 0 && spacingMs > 0)
        self.horizonMs = horizonMs
        self.idleDemand = idleDemand
        self.fanout = fanout
        self.spacingMs = spacingMs
    }

    /// Whether a unit with this pulse runs dry within `horizonMs`: buyers are here and its stock would not last.
    public func isNeedy(_ pulse: Pulse) -> Bool {
        pulse.demandPerSecond >= idleDemand && Double(max(pulse.available, 0)) <= pulse.demandPerSecond * Double(horizonMs) / 1_000
    }

    /// Whether `me` should ask now: needy, others hold rights as far as its ledger knows, and its last ask (if any)
    /// was at least `spacingMs` ago.
    public func shouldAsk(me: Pulse, rightsElsewhere: Int64, lastAskMs: Int64?, nowMs: Int64) -> Bool {
        guard rightsElsewhere > 0, isNeedy(me) else { return false }
        guard let lastAskMs else { return true }
        return nowMs - lastAskMs >= spacingMs || nowMs < lastAskMs
    }

    /// The peers to ask, most likely donors first: those whose last pulse showed stock, whose stock would last
    /// longest, then the most stock; then, if fewer than `fanout` did, those whose last pulse is oldest (what they
    /// hold now is least known: a peer that showed none may have been sent some since). Ties by id, so the choice is
    /// deterministic. Never `me`; at most `fanout`.
    public func donors(peers: [Pulse], excluding me: NodeID) -> [NodeID] {
        let others = peers.filter { $0.node != me }
        let stocked = others.filter { $0.available > 0 }.sorted {
            ($0.secondsOfStock, $0.available, $1.node) > ($1.secondsOfStock, $1.available, $0.node)
        }
        let unknown = others.filter { $0.available <= 0 }.sorted { ($0.heartbeatMs, $0.node) < ($1.heartbeatMs, $1.node) }
        return (stocked + unknown).prefix(fanout).map(\.node)
    }
}
