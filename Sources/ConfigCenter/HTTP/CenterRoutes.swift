// The config-center's HTTP API: thin handlers over CenterStore.

import FlashSaleAPI
import FlashSaleCore
import Foundation
public import Hummingbird
import Metrics

/// Routes of the config-center. Every handler decodes, calls the store and encodes; the store decides.
public enum CenterRoutes {
    /// Longest long-poll a unit may ask for, in seconds.
    public static let longPollMaxSeconds = 30

    public static func router(
        store: CenterStore, gossip: CenterGossip? = nil, metrics: CenterMetrics = CenterMetrics()
    ) -> Router<WireRequestContext> {
        let router = Router(context: WireRequestContext.self)
        router.add(middleware: ProblemMiddleware(routes: .center))
        router.get("/healthz") { _, _ in try WireResponse.json(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.center.response }
        CenterOperationsRoutes.add(to: router, store: store, metrics: metrics)

        router.get("/v1/config") { request, _ in
            let after = try request.integerQuery("after", default: 0, in: 0...Int64.max)
            let wait = try request.integerQuery("wait", default: 0, in: 0...Int64(longPollMaxSeconds))
            let config = wait > 0
                ? try await store.config(after: after, timeout: .seconds(wait)) : try await store.config()
            return try WireResponse.json(config)
        }

        router.post("/v1/regions") { request, context in
            let spec = try await request.decode(as: RegionSpec.self, context: context)
            return try WireResponse.json(try await store.upsertRegion(spec), status: .created)
        }
        router.get("/v1/regions") { _, _ in try WireResponse.json(try await store.regions()) }

        router.post("/v1/units") { request, context in
            let spec = try await request.decode(as: UnitSpec.self, context: context)
            return try WireResponse.json(try await store.upsertUnit(spec), status: .created)
        }
        router.get("/v1/units") { _, _ in try WireResponse.json(try await store.units()) }
        router.post("/v1/units/{unit}/report") { request, context in
            metrics.reportsReceived.increment()
            let report = try await request.decode(as: UnitReport.self, context: context)
            guard report.unit == context.parameters.get("unit") else {
                throw Problem(.invalidInput, "the report's unit does not match the URL")
            }
            return try WireResponse.json(try await store.report(report))
        }

        router.post("/v1/sales") { request, context in
            let spec = try await request.decode(as: SaleSpec.self, context: context)
            return try WireResponse.json(try await store.createSale(spec), status: .created)
        }
        router.get("/v1/sales") { _, _ in try WireResponse.json(try await store.sales()) }
        router.get("/v1/sales/{sale}") { _, context in
            try WireResponse.json(try await store.status(sale: try context.parameters.require("sale")))
        }
        router.get("/v1/sales/{sale}/status") { _, context in
            try WireResponse.json(try await store.status(sale: try context.parameters.require("sale")))
        }
        router.post("/v1/sales/{sale}/allocations") { request, context in
            let spec = try await request.decode(as: AllocationSpec.self, context: context)
            return try WireResponse.json(try await store.allocate(sale: try context.parameters.require("sale"), spec))
        }
        router.post("/v1/sales/{sale}/restock") { request, context in
            let spec = try await request.decode(as: RestockSpec.self, context: context)
            return try WireResponse.json(try await store.restock(sale: try context.parameters.require("sale"), spec))
        }
        router.post("/v1/tokens") { request, context in
            let spec = try await request.decode(as: TokenRequest.self, context: context)
            let grant = try await store.mintToken(spec)
            metrics.tokensMinted.increment()
            return try WireResponse.json(grant, status: .created)
        }
        router.post("/v1/token-keys/rotate") { _, _ in
            try WireResponse.json(try await store.rotateTokenKey(), status: .created)
        }
        router.get("/v1/blacklist") { _, _ in try WireResponse.json(try await store.blacklist()) }
        router.put("/v1/blacklist/{user}") { _, context in
            try WireResponse.json(try await store.addToBlacklist(try decodedUser(context)))
        }
        router.delete("/v1/blacklist/{user}") { _, context in
            try WireResponse.json(try await store.removeFromBlacklist(try decodedUser(context)))
        }
        for (verb, change) in [
            ("pause", store.pause), ("resume", store.resume), ("stop", store.stop),
        ] as [(String, @Sendable (String) async throws -> SaleStatus)] {
            router.post("/v1/sales/{sale}/\(verb)") { _, context in
                try WireResponse.json(try await change(try context.parameters.require("sale")))
            }
        }
        DashboardRoutes.add(to: router, store: store)
        router.post("/v1/apply") { request, context in
            let document = try await request.decode(as: ClusterDocument.self, context: context)
            return try WireResponse.json(try await store.apply(document))
        }
        if let gossip {
            router.post("/v1/gossip") { request, _ in
                let bytes = try await request.body.collect(upTo: 4 << 20)
                let (body, signature) = try await gossip.exchange(
                    body: Data(buffer: bytes), signature: request.headers[GossipSeal.headerName])
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[GossipSeal.headerName] = signature
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
        return router
    }

    /// The `{user}` path segment, percent-decoded: user ids may hold characters a client must escape in a path.
    private static func decodedUser(_ context: WireRequestContext) throws -> String {
        let raw = try context.parameters.require("user")
        guard let user = raw.removingPercentEncoding else { throw Problem(.invalidInput, "the user id is not valid percent-encoding") }
        return user
    }
}
