// What a heartbeat may leave in the config-center's memory: pulses of its own sender, for sales that exist.

@testable import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing
import TestSupport

@Suite("Unit reports: bounded memory")
struct ReportBoundsTests {
    /// Reports once grew the center's memory without bound with pulses for sale ids that do not exist.
    @Test("pulses for unknown sales, or of other nodes, are not kept")
    func pulsesForUnknownSalesAreDropped() async throws {
        let dir = TestRun.folder + "/center-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        defer { try? pool.close() }
        let store = try CenterStore(pool: pool, nowMs: { Fixed.nowMs })
        _ = try await store.upsertRegion(RegionSpec(id: "eu"))
        for unit in ["eu-1", "eu-2"] { _ = try await store.upsertUnit(UnitSpec(id: unit, region: "eu", publicKey: TestKeys.key(unit).publicKey)) }
        _ = try await store.createSale(saleSpec("s1"))
        func pulse(_ node: NodeID) -> Pulse { Pulse(node: node, available: 1, demandPerSecond: 2, heartbeatMs: Fixed.nowMs) }
        var pulses = Dictionary(uniqueKeysWithValues: (0..<500).map { ("nope-\($0)", pulse("eu-1")) })
        pulses["s1"] = pulse("eu-1")
        _ = try await store.report(
            UnitReport(unit: "eu-1", region: "eu", url: "http://127.0.0.1:9/eu-1", configVersion: 0, sales: [:], pulses: pulses))
        _ = try await store.report(
            UnitReport(unit: "eu-2", region: "eu", url: "http://127.0.0.1:9/eu-2", configVersion: 0, sales: [:],
                       pulses: ["s1": pulse("eu-1")]))
        let kept = store.pulses.withLock { $0 }
        #expect(Array(kept.keys) == ["s1"])
        #expect(kept["s1"] == ["eu-1": pulse("eu-1")], "eu-2 cannot speak for eu-1")
    }
}
