// `GET /metrics` and `GET /readyz` of the config-center.

import FlashSaleAPI
import Hummingbird

/// Routes for operators' machines, beside `/healthz` (the process answers at all).
enum CenterOperationsRoutes {
    static func add(to router: Router<CenterRequestContext>, store: CenterStore, metrics: CenterMetrics) {
        router.get("/metrics") { _, _ in
            let figures = try await store.figures()
            return metrics.response(configVersion: figures.configVersion, sales: figures.sales)
        }
        router.get("/readyz") { _, _ in
            guard await store.databaseAnswers() else {
                throw Problem(.notReady, "the config-center's database does not answer", retryAfterSeconds: 1)
            }
            return try WireResponse.json(["status": "ready"])
        }
    }
}
