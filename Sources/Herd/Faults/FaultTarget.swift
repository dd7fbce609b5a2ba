// What herd breaks: the processes of a cluster it started itself, or the systemd services of this host.

/// A cluster herd can break on purpose. `strike` applies a fault, `heal` undoes it; both return once done
/// (a restarted unit is listening again), so the runner's times are when the fault truly began and ended.
protocol FaultTarget: Sendable {
    /// How the report names it: "local cluster from FILE", "systemd on this host".
    var name: String { get }
    /// Units that can be struck.
    var units: [String] { get }
    /// Regions that can be cut off.
    var regions: [String] { get }
    /// Why `kind` cannot be applied here, or nil when it can.
    func refusal(_ kind: FaultKind) -> String?
    func strike(_ fault: FaultPlan.Fault) async throws(FaultFailure)
    /// Undoes `fault`; `struck` is false when its strike failed (a heal then undoes only what the strike may have
    /// done halfway, and starts nothing it did not stop).
    func heal(_ fault: FaultPlan.Fault, struck: Bool) async throws(FaultFailure)
}
