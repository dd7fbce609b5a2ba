// When the config-center retires a silent unit from a sale's owners, so its buyers are served by the others.

/// The config-center's decision, pure: which member of a region's `CustodyView` to retire now, if any. A unit is
/// retired when it has been silent for `silenceMs` while the config-center was awake and heard another member of
/// its region (a region cut off, or a config-center that was paused, retires nobody), and when every member's last
/// report is at the current view and owes a copy to nobody but that unit (`Custody.owedGuardians`), and no other
/// member lost the copies it kept with its disk: then each of its buyers' guardians holds every order it acknowledged,
/// and becomes their owner. One unit per view; never the last.
public struct RetirementRule: Sendable {
    /// What the config-center last heard from a unit about one sale.
    public struct Heard: Sendable, Equatable {
        /// When, on the config-center's monotonic clock.
        public let atMs: Int64
        /// The number of the unit's view of the sale (`CustodyView.number`).
        public let view: Int
        /// The guardians the unit still owed a copy.
        public let owed: Set<NodeID>
        /// The unit lost the copies it kept (it started on a new database after the sale opened): the buyers it
        /// guards have no complete copy anywhere but at their owner.
        public let copiesLost: Bool

        public init(atMs: Int64, view: Int, owed: Set<NodeID>, copiesLost: Bool = false) {
            self.atMs = atMs
            self.view = view
            self.owed = owed
            self.copiesLost = copiesLost
        }
    }

    /// How long a unit is silent before it is retired: long enough that a restart or a short pause never costs a
    /// unit its buyers for the rest of the sale.
    public let silenceMs: Int64

    public init(silenceMs: Int64) { self.silenceMs = silenceMs }

    /// The member to retire at `nowMs`, given what was last heard from each (`heard`; a member never heard from
    /// counts as heard at `awakeSinceMs`, at view 0 owing nothing) and since when the config-center has been awake
    /// without a gap (`awakeSinceMs`, the same clock). Members are tried in id order.
    public func retiree(view: CustodyView, heard: [NodeID: Heard], awakeSinceMs: Int64, nowMs: Int64) -> NodeID? {
        guard view.members.count > 1, nowMs - awakeSinceMs >= silenceMs else { return nil }
        let last = { (unit: NodeID) in heard[unit] ?? Heard(atMs: awakeSinceMs, view: 0, owed: []) }
        let isSilent = { (unit: NodeID) in nowMs - max(last(unit).atMs, awakeSinceMs) >= silenceMs }
        for candidate in view.members where isSilent(candidate) {
            let othersHeard = view.members.contains { $0 != candidate && !isSilent($0) }
            let caughtUp = view.members.allSatisfy { last($0).view == view.number && last($0).owed.isSubset(of: [candidate]) }
            // A guardian that lost its copies may be the candidate's buyers' only hope: nobody is retired while one has.
            let copiesWhole = view.members.allSatisfy { $0 == candidate || !last($0).copiesLost }
            if othersHeard && caughtUp && copiesWhole { return candidate }
        }
        return nil
    }
}
