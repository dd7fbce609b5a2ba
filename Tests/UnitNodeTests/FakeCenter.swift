// A stand-in config-center on loopback that answers only when a test says so: for a unit's first moments.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import Synchronization

/// Serves `GET /v1/config` (503 until `publish` gives it a configuration; a long-poll for a version it already
/// has waits at most a second) and accepts reports. The unit under test follows it as it would the real one.
final class FakeCenter: Sendable {
    private let config = Mutex<ClusterConfig?>(nil)
    /// Whether it answers a long-poll at once, version or not (as a config-center out of waiters, or a proxy that cuts
    /// long requests, would).
    let answersAtOnce = Atomic(false)
    /// `GET /v1/config` requests answered so far.
    let configRequests = Atomic(0)
    /// The key its configurations are signed with, as the real config-center signs them; a test may change it.
    let key = Mutex(NodeKey.generate())

    func publish(_ config: ClusterConfig) { self.config.withLock { $0 = config } }

    func application() -> some ApplicationProtocol {
        let router = Router(context: WireRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("/v1/config") { request, _ in
            guard let config = self.config.withLock({ $0 }) else {
                throw Problem(.notReady, "no configuration to give yet")
            }
            self.configRequests.add(1, ordering: .relaxed)
            let after = request.uri.queryParameters.get("after").flatMap { Int64($0) } ?? 0
            if config.version <= after, !self.answersAtOnce.load(ordering: .relaxed) { try await Task.sleep(for: .seconds(1)) }
            let key = self.key.withLock { $0 }
            let body = try WireJSON.encoder.encode(config)
            var headers: HTTPFields = [.contentType: "application/json"]
            let nonce = ConfigSignature.nonce(request.headers[ConfigSignature.nonceHeader])
            headers[ConfigSignature.signatureHeader] = try ConfigSignature.signature(for: body, nonce: nonce, key: key)
            headers[ConfigSignature.keyHeader] = key.publicKey
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.post("/v1/units/{unit}/report") { request, context in
            let report = try await request.decode(as: UnitReport.self, context: context)
            return try WireResponse.json(UnitSpec(id: report.unit, region: report.region, url: report.url))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// One region, `units` in it, and one open sale of which the first unit holds `stock`.
    static func config(units: [String], region: String, stock: Int64, nowMs: Int64) -> ClusterConfig {
        let terms = SaleTerms(
            id: "phone", title: "Phone", startsAtMs: nowMs - 1000, endsAtMs: nowMs + 3_600_000, perUserLimit: 1)
        return ClusterConfig(
            version: 1, regions: [RegionSpec(id: region)], units: units.map { UnitSpec(id: $0, region: region) },
            sales: [SaleConfig(terms: terms, centerRow: LedgerRow(minted: stock, grantedTo: [NodeID(units[0]): stock]))])
    }
}
