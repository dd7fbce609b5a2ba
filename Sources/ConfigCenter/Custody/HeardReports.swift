// What the config-center last heard from each unit: when, on its monotonic clock, and its custody of each sale.

import FlashSaleAPI
import FlashSaleCore
import Synchronization

/// The last accepted report (heartbeat) of each unit, kept in memory only: a unit is retired for its silence as
/// this process heard it (`RetirementRule`), so a restarted config-center starts with nobody heard and waits the
/// whole span before it retires anyone. Times are on the monotonic clock, so a wall clock stepped by NTP or an
/// operator neither silences a unit nor wakes one. One entry per enrolled unit (only accepted reports are recorded,
/// and only statuses of sales that exist), so it is bounded by the units an operator enrolled.
final class HeardReports: Sendable {
    /// One unit's last report.
    struct Entry: Sendable, Equatable {
        /// Receipt, in monotonic milliseconds.
        let atMs: Int64
        /// Its custody of each sale it reported one for.
        let custody: [String: CustodyStatus]
    }

    private let entries = Mutex<[NodeID: Entry]>([:])

    /// Records `unit`'s report, received at `atMs`, replacing the one before.
    func record(unit: NodeID, custody: [String: CustodyStatus], atMs: Int64) {
        entries.withLock { $0[unit] = Entry(atMs: atMs, custody: custody) }
    }

    /// Every unit heard since this process started.
    func snapshot() -> [NodeID: Entry] { entries.withLock { $0 } }
}

extension [NodeID: HeardReports.Entry] {
    /// What was heard from `members` about `sale`, as the rule takes it: a unit that reported no status for the sale
    /// is at view 0 owing nothing (a unit that keeps no custody yet has nothing to hand over); a unit never heard is
    /// left out (the rule counts it heard when the config-center woke).
    func heard(sale: String, members: [NodeID]) -> [NodeID: RetirementRule.Heard] {
        var heard: [NodeID: RetirementRule.Heard] = [:]
        for unit in members {
            guard let entry = self[unit] else { continue }
            let status = entry.custody[sale]
            heard[unit] = RetirementRule.Heard(
                atMs: entry.atMs, view: status?.view ?? 0, owed: Set(status?.owed ?? []), copiesLost: status?.copiesLost ?? false)
        }
        return heard
    }
}
