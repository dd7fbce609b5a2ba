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

    /// A unit's last ask for one sale's stock.
    public struct Ask: Sendable, Hashable {
        public var atMs: Int64
        /// All that had been granted to the unit when it asked (`RightsLedger.received(by:)`): more since means the
        /// ask (or something else) brought stock.
        public var receivedAtAsk: Int64
        /// Asks in a row before this one after which nothing came.
        public var fruitless: Int
        /// Whether a peer asked had shown stock: only then is stock likely on its way (`Retry-After: 1`).
        public var promising: Bool

        public init(atMs: Int64, receivedAtAsk: Int64, fruitless: Int, promising: Bool) {
            self.atMs = atMs
            self.receivedAtAsk = receivedAtAsk
            self.fruitless = fruitless
            self.promising = promising
        }
    }

    /// Asks in a row that brought nothing, counting the last one, given what has been `received` since.
    public func fruitlessAsks(after last: Ask?, received: Int64) -> Int {
        guard let last else { return 0 }
        return received > last.receivedAtAsk ? 0 : last.fruitless + 1
    }

    /// Whether `me` should ask now: needy, others hold rights as far as its ledger knows, and its last ask (if any)
    /// was long enough ago: `spacingMs` for the first `patientAsks` in a row that brought nothing (a grant takes a few
    /// exchanges to land, longer than the spacing), then doubled after each more, up to 32 times (late in a sale, what
    /// others hold may be in unpaid orders or not yet allocated, and asking every 100 ms would only load the peers'
    /// writers).
    public func shouldAsk(me: Pulse, rightsElsewhere: Int64, last: Ask?, received: Int64, nowMs: Int64) -> Bool {
        guard rightsElsewhere > 0, isNeedy(me) else { return false }
        guard let last else { return true }
        let doublings = min(max(fruitlessAsks(after: last, received: received) - Self.patientAsks, 0), 5)
        return nowMs - last.atMs >= spacingMs << doublings || nowMs < last.atMs
    }

    /// Asks in a row that may bring nothing before the spacing starts to double.
    public static let patientAsks = 4

    /// The ask `me` makes now, if any (`shouldAsk`, then `donors` among `peers`): whom to ask, and the `Ask` to
    /// remember for the next decision. Nil when it should not ask, or knows no peer. `received` is all that has been
    /// granted to it so far (`RightsLedger.received(by:)`).
    public func ask(
        me: Pulse, rightsElsewhere: Int64, last: Ask?, received: Int64, peers: [Pulse], nowMs: Int64
    ) -> (donors: [NodeID], ask: Ask)? {
        guard shouldAsk(me: me, rightsElsewhere: rightsElsewhere, last: last, received: received, nowMs: nowMs) else { return nil }
        let chosen = donors(peers: peers, excluding: me.node)
        guard !chosen.isEmpty else { return nil }
        let promising = peers.contains { chosen.contains($0.node) && $0.available > 0 }
        return (chosen, Ask(atMs: nowMs, receivedAtAsk: received, fruitless: fruitlessAsks(after: last, received: received), promising: promising))
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
