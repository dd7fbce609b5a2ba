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

    /// `key` is the config-center's own: it signs every configuration answered (a new one per router when not given,
    /// as in tests that do not check the signer).
    public static func router(
        store: CenterStore, gossip: CenterGossip? = nil, metrics: CenterMetrics = CenterMetrics(),
        key: NodeKey = NodeKey.generate()
    ) -> Router<CenterRequestContext> {
        let router = Router(context: CenterRequestContext.self)
        router.add(middleware: ProblemMiddleware(routes: .center))
        // Public: whether the process is up, its API, its metrics, and the dashboard's static page (which asks for
        // a credential before it reads anything).
        router.get("/healthz") { _, _ in try WireResponse.json(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.center.response }
        CenterOperationsRoutes.add(to: router, store: store, metrics: metrics)
        DashboardRoutes.addPage(to: router)
        router.get("/v1/identity") { _, _ in try WireResponse.json(["publicKey": key.publicKey]) }
        addNodeRoutes(to: router, store: store, gossip: gossip, metrics: metrics, key: key)
        // Credentials are looked up only on guarded routes: a public one answers whatever the database's state.
        let authenticated = { router.group().add(middleware: OperatorAuthenticator(store: store)) }
        addViewerRoutes(to: authenticated().add(middleware: requireRole(.viewer)), store: store)
        addOperatorRoutes(to: authenticated().add(middleware: requireRole(.operator)), store: store)
        addAdminRoutes(to: authenticated().add(middleware: requireRole(.admin)), store: store, metrics: metrics)
        return router
    }

    /// What units call, each request signed with the unit's own key: the configuration they follow (viewers may read
    /// it too) and their heartbeat; and gossip (signed with the cluster secret and by the sending unit's key).
    private static func addNodeRoutes(
        to router: Router<CenterRequestContext>, store: CenterStore, gossip: CenterGossip?, metrics: CenterMetrics,
        key: NodeKey
    ) {
        let nodes = NodeAuthenticator(store: store)
        // A unit follows with one long-poll; the second covers a reconnect that overlaps the poll it replaces.
        let quota = CallerQuota(perCaller: 2, what: "long-polls")
        router.get("/v1/config") { request, _ in
            let caller: String
            if let bearer = request.headers.bearer {
                guard let known = try await store.authenticate(credential: bearer.token) else {
                    throw Problem(.unauthorized, "this credential is not known to the config-center")
                }
                caller = "operator:" + known.name
            } else {
                caller = "unit:" + (try await nodes.unit(of: request, changes: false))
            }
            let after = try request.integerQuery("after", default: 0, in: 0...Int64.max)
            let wait = try request.integerQuery("wait", default: 0, in: 0...Int64(longPollMaxSeconds))
            let body = wait > 0
                ? try await quota.holding(caller) { try await store.configBody(after: after, timeout: .seconds(wait)) }
                : try await store.configBody()
            // Signed over the exact bytes sent and the asker's nonce: units adopt only what the key they pinned signed
            // for this very request.
            var headers: HTTPFields = [.contentType: "application/json"]
            let nonce = ConfigSignature.nonce(request.headers[ConfigSignature.nonceHeader])
            headers[ConfigSignature.signatureHeader] = try ConfigSignature.signature(for: body, nonce: nonce, key: key)
            headers[ConfigSignature.keyHeader] = key.publicKey
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.post("/v1/units/{unit}/report") { request, context in
            metrics.reportsReceived.increment()
            // The headers are checked before the body is read: a stranger's bytes are not even buffered.
            let claim = try await nodes.claim(of: request)
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let signer = try nodes.unit(of: request, claim: claim, body: body.readableBytesView, changes: true)
            guard signer == context.parameters.get("unit") else {
                throw Problem(.forbidden, "unit '\(signer)' may report for itself only")
            }
            let report: UnitReport
            do {
                report = try WireJSON.decoder.decode(UnitReport.self, from: Data(buffer: body))
            } catch {
                throw Problem(.invalidInput, "not a unit report: \(error)")
            }
            guard report.unit == signer else { throw Problem(.invalidInput, "the report's unit does not match the URL") }
            return try WireResponse.json(try await store.report(report))
        }
        if let gossip {
            router.post("/v1/gossip") { request, context in
                // Only an enrolled unit may make the config-center read a body of megabytes.
                let sender = request.headers[GossipSenderSignature.senderHeaderName] ?? ""
                if let refusal = try await gossip.refusalBeforeReading(from: sender, address: ClientKey.of(context.remoteAddress)) {
                    throw refusal
                }
                let bytes = try await request.body.collect(upTo: 4 << 20)
                let (body, signature, senderSignature) = try await gossip.exchange(
                    body: Data(buffer: bytes), signature: request.headers[GossipSeal.headerName],
                    senderSignature: request.headers[GossipSenderSignature.headerName], claimedSender: NodeID(sender))
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[GossipSeal.headerName] = signature
                headers[GossipSenderSignature.headerName] = senderSignature
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
    }

    /// Reading: status, lists, the live stream of a sale.
    private static func addViewerRoutes(to group: RouterGroup<CenterRequestContext>, store: CenterStore) {
        group.get("/v1/regions") { _, _ in try WireResponse.json(try await store.regions()) }
        group.get("/v1/units") { _, _ in try WireResponse.json(try await store.units()) }
        group.get("/v1/sales") { _, _ in try WireResponse.json(try await store.sales()) }
        group.get("/v1/sales/{sale}") { _, context in
            try WireResponse.json(try await store.status(sale: try context.parameters.require("sale")))
        }
        group.get("/v1/sales/{sale}/status") { _, context in
            try WireResponse.json(try await store.status(sale: try context.parameters.require("sale")))
        }
        group.get("/v1/blacklist") { _, _ in try WireResponse.json(try await store.blacklist()) }
        group.get("/v1/token-issuer") { _, _ in
            guard let issuer = try await store.tokenIssuer() else {
                throw Problem(.notFound, "no identity provider is trusted: only minted tokens buy")
            }
            return try WireResponse.json(issuer)
        }
        DashboardRoutes.addStream(to: group, store: store)
    }

    /// Running sales: create, allocate, restock, pause, resume, stop; the blacklist; sale files.
    private static func addOperatorRoutes(to group: RouterGroup<CenterRequestContext>, store: CenterStore) {
        group.post("/v1/sales") { request, context in
            let spec = try await request.decode(as: SaleSpec.self, context: context)
            return try WireResponse.json(try await store.createSale(spec), status: .created)
        }
        group.post("/v1/sales/{sale}/allocations") { request, context in
            let spec = try await request.decode(as: AllocationSpec.self, context: context)
            return try WireResponse.json(try await store.allocate(sale: try context.parameters.require("sale"), spec))
        }
        group.post("/v1/sales/{sale}/restock") { request, context in
            let spec = try await request.decode(as: RestockSpec.self, context: context)
            return try WireResponse.json(try await store.restock(sale: try context.parameters.require("sale"), spec))
        }
        for (verb, change) in [
            ("pause", store.pause), ("resume", store.resume), ("stop", store.stop),
        ] as [(String, @Sendable (String) async throws -> SaleStatus)] {
            group.post("/v1/sales/{sale}/\(verb)") { _, context in
                try WireResponse.json(try await change(try context.parameters.require("sale")))
            }
        }
        group.put("/v1/blacklist/{user}") { _, context in
            try WireResponse.json(try await store.addToBlacklist(try decodedUser(context)))
        }
        group.delete("/v1/blacklist/{user}") { _, context in
            try WireResponse.json(try await store.removeFromBlacklist(try decodedUser(context)))
        }
        group.post("/v1/apply") { request, context in
            let document = try await request.decode(as: ClusterDocument.self, context: context)
            // Regions and units are enrolment, an admin's: an operator's file may carry only sales.
            if !(document.regions ?? []).isEmpty || !(document.units ?? []).isEmpty, context.identity?.role != .admin {
                throw RoleRefusal(needed: .admin)
            }
            return try WireResponse.json(try await store.apply(document))
        }
    }

    /// Managing the cluster: operators, regions and units, buyer-token keys and minting.
    private static func addAdminRoutes(
        to group: RouterGroup<CenterRequestContext>, store: CenterStore, metrics: CenterMetrics
    ) {
        group.post("/v1/regions") { request, context in
            let spec = try await request.decode(as: RegionSpec.self, context: context)
            return try WireResponse.json(try await store.upsertRegion(spec), status: .created)
        }
        group.post("/v1/units") { request, context in
            let spec = try await request.decode(as: UnitSpec.self, context: context)
            return try WireResponse.json(try await store.upsertUnit(spec), status: .created)
        }
        group.delete("/v1/units/{unit}/key") { _, context in
            try WireResponse.json(try await store.revokeUnitKey(try context.parameters.require("unit")))
        }
        group.post("/v1/tokens") { request, context in
            let spec = try await request.decode(as: TokenRequest.self, context: context)
            let grant = try await store.mintToken(spec)
            metrics.tokensMinted.increment()
            return try WireResponse.json(grant, status: .created)
        }
        group.post("/v1/token-keys/rotate") { _, _ in
            try WireResponse.json(try await store.rotateTokenKey(), status: .created)
        }
        group.put("/v1/token-issuer") { request, context in
            let spec = try await request.decode(as: TokenIssuerSpec.self, context: context)
            return try WireResponse.json(try await store.setTokenIssuer(spec))
        }
        group.delete("/v1/token-issuer") { _, _ in
            guard let previous = try await store.clearTokenIssuer() else {
                throw Problem(.notFound, "no identity provider is trusted: nothing to remove")
            }
            return try WireResponse.json(previous)
        }
        group.get("/v1/operators") { _, _ in try WireResponse.json(try await store.operators()) }
        group.post("/v1/operators") { request, context in
            let spec = try await request.decode(as: OperatorSpec.self, context: context)
            return try WireResponse.json(try await store.addOperator(spec), status: .created)
        }
        group.delete("/v1/operators/{name}") { _, context in
            try WireResponse.json(try await store.removeOperator(try context.parameters.require("name")))
        }
    }

    /// The `{user}` path segment, percent-decoded: user ids may hold characters a client must escape in a path.
    private static func decodedUser(_ context: CenterRequestContext) throws -> String {
        let raw = try context.parameters.require("user")
        guard let user = raw.removingPercentEncoding else { throw Problem(.invalidInput, "the user id is not valid percent-encoding") }
        return user
    }
}
