// GET /metrics and /readyz of the config-center: what it counts, and ready only while its database answers.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A scrape of `/metrics`, by series as printed.
private func scrape(_ center: CenterClient) async throws -> [String: Double] {
    let response = try await center.get("/metrics")
    #expect(response.status == .ok)
    #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
    var values: [String: Double] = [:]
    for line in response.text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        values[String(line[..<space])] = value
    }
    return values
}

@Suite struct CenterOperationsTests {
    @Test func metricsCountReportsAndTokensAndShowSalesAndTheConfigVersion() async throws {
        try await withCenter { center in
            let empty = try await scrape(center)
            #expect(empty["flashsale_center_reports_total"] == 0)
            #expect(empty["flashsale_center_tokens_minted_total"] == 0)
            #expect(empty["flashsale_center_sales"] == 0)

            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1", stock: 10))
            try await center.createSale(saleSpec("s2", stock: 10))
            for _ in 0..<3 {
                _ = try await center.post(
                    "/v1/units/eu-1/report",
                    UnitReport(unit: "eu-1", region: "eu", url: "http://127.0.0.1:8000/eu-1", configVersion: 1, sales: [:]))
            }
            let request = TokenRequest(user: "alice", region: "eu", accountCreatedAt: Fixed.at(-86_400))
            #expect(try await center.post("/v1/tokens", request).status == .created)
            #expect(try await center.post("/v1/tokens", raw: "{}").status == .badRequest)

            let after = try await scrape(center)
            #expect(after["flashsale_center_reports_total"] == 3)
            #expect(after["flashsale_center_tokens_minted_total"] == 1, "a refused request mints nothing")
            #expect(after["flashsale_center_sales"] == 2)
            #expect(after["flashsale_center_config_version"] == Double(try await center.version()))
        }
    }

    @Test func readyWhileTheDatabaseAnswers() async throws {
        try await withCenter { center in
            let ready = try await center.get("/readyz")
            #expect(ready.status == .ok)
            #expect(try center.decode([String: String].self, ready) == ["status": "ready"])
            #expect(try await center.get("/healthz").status == .ok)
        }
    }

    @Test func notReadyOnceTheDatabaseIsClosed() async throws {
        let dir = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        let store = try CenterStore(pool: pool)
        let app = Application(router: CenterRoutes.router(store: store))
        try await app.test(.router) { client in
            try pool.close()
            let answer = try await client.execute(uri: "/readyz", method: .get)
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.headers[.contentType] == Problem.contentType)
            let problem = try WireJSON.decoder.decode(Problem.self, from: answer.data)
            #expect(problem.code == .notReady)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "alive, though not ready")
        }
    }
}
