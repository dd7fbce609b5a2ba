// A sale's status as the dashboard follows it: a snapshot with its grant flows, and a wait for the next change.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import GRDB

extension CenterStore {
    /// The sale's status and every grant between nodes, read in one snapshot so the two agree.
    public func liveStatus(sale saleID: String) async throws -> SaleLiveStatus {
        let now = nowMs()
        let pulses = pulses.withLock { $0[saleID] ?? [:] }
        return try await pool.read { db in
            let terms = try CenterQueries.requireSale(saleID, db)
            let ledger = try LedgerTables.load(saleID: saleID, db)
            let grants = ledger.rows.flatMap { from, row in
                row.grantedTo.compactMap { to, amount in
                    amount > 0 ? GrantFlow(from: from.rawValue, to: to.rawValue, amount: amount) : nil
                }
            }
            return SaleLiveStatus(
                status: try Self.status(of: terms, nowMs: now, pulses: pulses, db),
                grants: grants.sorted { ($0.from, $0.to) < ($1.from, $1.to) })
        }
    }

    /// How many changes (writes and pulses) the store has seen: read it before a snapshot, then wait past it.
    public var changeCount: Int64 {
        get async { changes.version }
    }

    /// Returns once a change after `seen` happened, or after `timeout`, or at shutdown (see `closeChangeWaits`).
    public func waitForChange(after seen: Int64, timeout: Duration) async {
        await changes.wait(after: seen, timeout: timeout)
    }

    /// Whether the change waits were closed (graceful shutdown): a follower should end.
    public var changeWaitsClosed: Bool {
        get async { changes.isClosed }
    }

    /// Answers every change wait now and from now on, so streams end and the server can stop.
    public func closeChangeWaits() async {
        changes.close()
    }
}
