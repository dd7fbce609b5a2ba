// GET /healthz and /readyz of a unit: alive at once; ready only once it knows its sales and its own counters.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HummingbirdTesting
import TestSupport
import Logging
import Testing
@testable import UnitNode

@Suite struct ReadinessTests {
    static let unitID = "eu-west-1"
    static let region = "eu-west"

    private func settings(center port: Int, directory: String, clusterSecret: String? = nil) -> UnitSettings {
        UnitSettings(
            unit: Self.unitID, region: Self.region, port: 0, dataDirectory: directory, centerURL: "http://127.0.0.1:\(port)",
            reportInterval: .seconds(60), longPollSeconds: 1, clusterSecret: clusterSecret, gossipInterval: .seconds(60),
            recoveryPatience: .seconds(600))
    }

    private func quiet() -> Logger {
        var logger = Logger(label: "readiness-test")
        logger.logLevel = .critical
        return logger
    }

    private func temporaryDirectory() -> String {
        TestRun.folder + "/unit-ready-\(UUID().uuidString)"
    }

    /// Asks /readyz until it answers 200, for at most 10 s; returns the last answer.
    private func readyz(_ client: some TestClientProtocol, untilReady: Bool) async throws -> TestResponse {
        var answer = try await client.execute(uri: "/readyz", method: .get)
        for _ in 0..<200 where untilReady && answer.status != .ok {
            try await Task.sleep(for: .milliseconds(50))
            answer = try await client.execute(uri: "/readyz", method: .get)
        }
        return answer
    }

    @Test func aNewUnitIsReadyOnlyOnceTheConfigCenterHasAnswered() async throws {
        let center = FakeCenter()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await center.application().testLive { centerClient in
            let port = try #require(centerClient.port)
            let unit = try await UnitServer.application(settings: settings(center: port, directory: directory), logger: quiet())
            try await unit.test(.router) { client in
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "alive, though not ready")
                let waiting = try await readyz(client, untilReady: false)
                #expect(waiting.status == .serviceUnavailable)
                #expect(waiting.headers[.contentType] == Problem.contentType)
                #expect(waiting.headers[.retryAfter] == "1")
                let problem = try waiting.decoded(Problem.self)
                #expect(problem.code == .notReady)
                #expect(problem.detail?.contains("no configuration") == true)
                #expect(try await MetricsScrape.of(client)["flashsale_ready"] == 0)

                center.publish(FakeCenter.config(units: [Self.unitID], region: Self.region, stock: 3, nowMs: Date().millisecondsSince1970))
                let ready = try await readyz(client, untilReady: true)
                #expect(ready.status == .ok)
                #expect(ready.headers[.contentType] == "application/json")
                let scrape = try await MetricsScrape.of(client)
                #expect(scrape["flashsale_ready"] == 1)
                #expect(scrape["flashsale_config_version"] == 1)
                #expect(scrape["flashsale_rights_held{sale=\"phone\"}"] == 3)
            }
        }
    }

    /// A config-center that answers every long-poll at once with nothing new does not make the unit ask in a tight
    /// loop: it backs off as it does on errors (0.2 s doubling to 5 s), so over 3 s it asks a handful of times, not
    /// thousands.
    @Test func answersThatComeBackAtOnceAreFollowedWithBackoff() async throws {
        let center = FakeCenter()
        center.publish(FakeCenter.config(units: [Self.unitID], region: Self.region, stock: 3, nowMs: Date().millisecondsSince1970))
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await center.application().testLive { centerClient in
            let port = try #require(centerClient.port)
            let unit = try await UnitServer.application(settings: settings(center: port, directory: directory), logger: quiet())
            try await unit.test(.router) { client in
                #expect(try await readyz(client, untilReady: true).status == .ok)
                center.answersAtOnce.store(true, ordering: .relaxed)
                try await Task.sleep(for: .seconds(1))  // whatever long-poll was under way has ended
                let before = center.configRequests.load(ordering: .relaxed)
                try await Task.sleep(for: .seconds(3))
                let asked = center.configRequests.load(ordering: .relaxed) - before
                #expect(asked <= 8, "\(asked) requests in 3 s")
                // It still follows. Its longest wait is 5 s; on a loaded CI machine (tests run side by side on two
                // cores) the ask that usually falls in the window above came after it, so wait for it, bounded.
                var followed = asked
                for _ in 0..<150 where followed < 1 {
                    try await Task.sleep(for: .milliseconds(100))
                    followed = center.configRequests.load(ordering: .relaxed) - before
                }
                #expect(followed >= 1, "it still follows")
            }
        }
    }

    @Test func aNewGossipingUnitStaysUnreadyWhileItsPeersHaveNotAnswered() async throws {
        let center = FakeCenter()
        center.publish(
            FakeCenter.config(units: [Self.unitID, "eu-west-2"], region: Self.region, stock: 3, nowMs: Date().millisecondsSince1970))
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await center.application().testLive { centerClient in
            let port = try #require(centerClient.port)
            let settings = settings(center: port, directory: directory, clusterSecret: String(repeating: "s", count: 32))
            let unit = try await UnitServer.application(settings: settings, logger: quiet())
            try await unit.test(.router) { client in
                // The configuration comes at once; the peer (which has no URL) never answers, and patience is long.
                var answer = try await readyz(client, untilReady: false)
                for _ in 0..<200 where try answer.decoded(Problem.self).detail?.contains("restoring") != true {
                    try await Task.sleep(for: .milliseconds(50))
                    answer = try await readyz(client, untilReady: false)
                }
                #expect(answer.status == .serviceUnavailable)
                #expect(try answer.decoded(Problem.self).code == .notReady)
                #expect(try answer.decoded(Problem.self).detail?.contains("restoring") == true)
                let purchase = try await client.execute(uri: "/v1/sales/phone/purchases?user=alice", method: .post)
                #expect(try purchase.decoded(Problem.self).code == .unitRecovering, "not ready means not selling")
            }
        }
    }

    @Test func aUnitOnItsSavedConfigurationIsReadyWhileTheConfigCenterIsDown() async throws {
        let unit = try TestUnit(stock: 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await client.execute(uri: "/readyz", method: .get)
            #expect(answer.status == .ok)
            #expect(String(buffer: answer.body) == #"{"status":"ready"}"#)
        }
    }
}
