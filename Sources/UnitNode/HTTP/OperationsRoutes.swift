// `GET /metrics` and `GET /readyz`: what Prometheus and an orchestrator ask a unit.

import FlashSaleAPI
import Hummingbird

/// Routes for operators' machines, beside `/healthz` (the process answers at all). Neither touches SQLite.
enum OperationsRoutes {
    static func add(
        to router: Router<WireRequestContext>, metrics: UnitMetrics, desk: PurchaseDesk, follower: ConfigFollower,
        store: UnitStore
    ) {
        router.get("/metrics") { _, _ in
            metrics.response(
                sales: desk.snapshots(), rightsHeld: desk.rightsHeld(), configVersion: follower.version,
                ready: notReady(hasConfig: follower.hasConfig, recovering: desk.isRecovering) == nil,
                checkpoints: store.checkpoints)
        }
        router.get("/readyz") { _, _ in
            if let problem = notReady(hasConfig: follower.hasConfig, recovering: desk.isRecovering) { throw problem }
            return try WireResponse.json(["status": "ready"])
        }
    }

    /// Why the unit should get no buyers yet, or nil once it can sell: it knows the sales (a configuration from
    /// the config-center, live or the copy saved in its database) and it is not restoring its counters after
    /// starting on a new database. A unit whose config-center is down but that has its saved copy is ready:
    /// it sells on that copy (isolation).
    static func notReady(hasConfig: Bool, recovering: Bool) -> Problem? {
        if !hasConfig {
            return Problem(.notReady, "this unit has no configuration from the config-center yet", retryAfterSeconds: 1)
        }
        if recovering {
            return Problem(
                .notReady, "this unit started on a new database and is restoring its counters from the cluster",
                retryAfterSeconds: 1)
        }
        return nil
    }
}
