// The ways herd can break a cluster on purpose during a rehearsal, and the `--faults` list that asks for them.

import Foundation

/// One kind of fault. Each is undone after its duration: a killed unit is restarted on the same data, a paused
/// process continued, a stepped clock stepped back, a cut region joined again, a unit kept down started again.
enum FaultKind: String, CaseIterable, Codable, Sendable, Comparable {
    /// `kill -9` a unit (no shutdown, orders in flight lost to the process), then start it again on the same data.
    case kill
    /// SIGSTOP a unit, SIGCONT it after: alive to the kernel (connections accepted, never answered), silent to
    /// its peers, its timers late when it wakes.
    case pause
    /// SIGSTOP the config-center: no witness for grants, no reports, no tokens; units keep selling their rights.
    case pauseCenter = "pause-center"
    /// Step a unit's wall clock by minutes, ahead or back, then step it back: tokens, sale windows, payment
    /// deadlines and its signed rows read that clock; its monotonic clock runs on, as after an NTP step.
    case clockJump = "clock-jump"
    /// Cut a region off from the rest of the cluster (the config-center and the other regions' units) while its
    /// buyers still reach it, then join it again: a partition, as when a region's link to the others fails.
    case cutRegion = "cut-region"
    /// `kill -9` a unit of a region with other units and keep it down past the config-center's `--retire-after`
    /// (default 5 s): the config-center retires it and its region's other units take its buyers over (issue 16's
    /// takeover). Then it is started again on the same data, retired for the rest of the sale.
    case down

    static func < (lhs: FaultKind, rhs: FaultKind) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }

    /// Parses `kill,pause=2,pause-center`: kinds with an optional count each (1 when omitted).
    static func parseList(_ text: String) throws(FaultPlan.Invalid) -> [FaultKind: Int] {
        var counts: [FaultKind: Int] = [:]
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard (1...2).contains(pair.count), let kind = FaultKind(rawValue: pair[0]) else {
                throw FaultPlan.Invalid(description: "'\(part)' is not a fault or fault=count (faults: \(names))")
            }
            var count = 1
            if pair.count == 2 {
                guard let value = Int(pair[1]), (1...FaultPlan.perKindMax).contains(value) else {
                    throw FaultPlan.Invalid(description: "'\(part)': a count must be 1-\(FaultPlan.perKindMax)")
                }
                count = value
            }
            guard counts[kind] == nil else { throw FaultPlan.Invalid(description: "'\(pair[0])' appears twice in --faults") }
            counts[kind] = count
        }
        guard !counts.isEmpty else { throw FaultPlan.Invalid(description: "--faults names no fault") }
        return counts
    }
}
