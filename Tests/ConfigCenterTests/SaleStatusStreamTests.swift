// The dashboard's live status stream (Server-Sent Events) and the dashboard page, through a live config-center.

import AsyncHTTPClient
@testable import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import NIOCore
import OpenAPITestSupport
import Synchronization
import Testing

@Suite struct SaleStatusStreamTests {
    /// Runs `body` against a config-center served on a loopback port, with eu-1 and eu-2 in region eu and sale s1
    /// (stock 100, 10 allocated to eu: 5 each).
    private func withLiveCenter(_ body: @Sendable (CenterClient, Int) async throws -> Void) async throws {
        let dir = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        defer { try? pool.close() }
        let clock = TestClock()
        let store = try CenterStore(pool: pool, nowMs: { clock.nowMs })
        let app = Application(router: CenterRoutes.router(store: store))
        let admin = try await testAdmin(store)
        try await app.testLive { client in
            let center = CenterClient(client: client, clock: clock, credential: admin)
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            try await center.createSale(saleSpec("s1", stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            try await body(center, try #require(client.port))
        }
    }

    @Test func aReportIsStreamedAsANewSnapshotWithItsGrants() async throws {
        try await withLiveCenter { center, port in
            let stream = try await StatusStream(port: port, sale: "s1", credential: center.credential)
            let first = try #require(try await stream.next())
            #expect(first.status.sale == "s1" && first.status.state == "open")
            #expect(first.status.unit("eu-1")?.rightsHeld == 5 && first.status.unit("eu-1")?.sold == 0)
            #expect(first.grants == [GrantFlow(from: "center", to: "eu-1", amount: 5), GrantFlow(from: "center", to: "eu-2", amount: 5)])

            // eu-1 sold 2 and gave 1 to eu-2: the next event shows it, without asking again.
            let report = UnitReport(
                unit: "eu-1", region: "eu", url: "http://127.0.0.1:8000/eu-1", configVersion: 1,
                sales: ["s1": LedgerRow(grantedTo: ["eu-2": 1], consumed: 2)],
                pulses: ["s1": Pulse(node: "eu-1", available: 2, demandPerSecond: 12.5, heartbeatMs: Fixed.nowMs)])
            #expect(try await center.post("/v1/units/eu-1/report", report).status == .ok)
            let next = try #require(try await stream.next { $0.status.unit("eu-1")?.sold == 2 })
            let eu1 = try #require(next.status.unit("eu-1"))
            #expect(eu1.rightsHeld == 2 && eu1.givenToUnits == 1 && eu1.demandPerSecond == 12.5)
            #expect(next.status.unit("eu-2")?.receivedFromUnits == 1 && next.status.unit("eu-2")?.rightsHeld == 6)
            #expect(next.status.sold == 2)
            #expect(next.grants.contains(GrantFlow(from: "eu-1", to: "eu-2", amount: 1)))

            // An operator's change is streamed too.
            #expect(try await center.post("/v1/sales/s1/pause", raw: "").status == .ok)
            #expect(try await stream.next { $0.status.state == "paused" } != nil)
            stream.close()
        }
    }

    @Test func theStreamSendsOnlyWhatChanged() async throws {
        try await withLiveCenter { center, port in
            let stream = try await StatusStream(port: port, sale: "s1", credential: center.credential)
            let first = try #require(try await stream.next())
            // Writes that change nothing in this sale (another sale's creation) send no new s1 event; the next
            // event is the one carrying the real change.
            try await center.createSale(saleSpec("s2", stock: 10))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 4]))
            let next = try #require(try await stream.next())
            #expect(next != first)
            #expect(next.status.unit("eu-1")?.allocated == 7)
            stream.close()
        }
    }

    /// Removing an operator ends the streams its credential opened, at once, not only its next requests.
    @Test func removingTheOperatorEndsItsOpenStream() async throws {
        try await withLiveCenter { center, port in
            let viewer = try center.ok(
                OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "wall-screen", role: .viewer)),
                status: .created)
            let stream = try await StatusStream(port: port, sale: "s1", credential: viewer.credential)
            let admins = try await StatusStream(port: port, sale: "s1", credential: center.credential)
            #expect(try await stream.next() != nil)
            #expect(try await admins.next() != nil)
            #expect(try await center.execute(uri: "/v1/operators/wall-screen", method: .delete).status == .ok)
            // The stream ends (nil) with no status event after the removal; the admin's stream goes on.
            #expect(try await stream.next() == nil)
            #expect(try await center.post("/v1/sales/s1/pause", raw: "").status == .ok)
            #expect(try await admins.next { $0.status.state == "paused" } != nil)
            admins.close()
        }
    }

    /// One operator holds at most `followersPerOperator` streams, so it cannot take the followers everyone shares.
    @Test func oneOperatorHoldsAFewStreamsNotAll() async throws {
        // A client of its own: HTTPClient.shared opens at most 8 connections to one host and would queue the rest.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var failure: (any Error)?
        do { try await withLiveCenter { center, port in
            var streams: [StatusStream] = []
            for _ in 0..<DashboardRoutes.followersPerOperator {
                let stream = try await StatusStream(port: port, sale: "s1", credential: center.credential, http: http)
                #expect(try await stream.next() != nil)
                streams.append(stream)
            }
            let refused = try await CheckedCenter(center).call(
                .get, "/v1/sales/s1/status/stream", expect: .tooManyRequests, code: .rateLimited)
            #expect(refused.headers[.retryAfter] == "1")
            let viewer = try center.ok(
                OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "wall-screen", role: .viewer)),
                status: .created)
            let other = try await StatusStream(port: port, sale: "s1", credential: viewer.credential, http: http)
            #expect(try await other.next() != nil, "another operator still follows")
            other.close()
            for stream in streams { stream.close() }
        } } catch { failure = error }
        try await http.shutdown()
        if let failure { throw failure }
    }

    @Test func anUnknownSaleIsRefusedBeforeTheStream() async throws {
        try await withLiveCenter { center, _ in
            let response = try await center.get("/v1/sales/nope/status/stream")
            try center.expectProblem(response, .unknownSale)
        }
    }

    @Test func shutdownEndsOpenStreams() async throws {
        let follower = Mutex<Task<Int, any Error>?>(nil)
        try await withLiveCenter { center, port in
            let (connected, signal) = AsyncStream.makeStream(of: Void.self)
            follower.withLock {
                $0 = Task {
                    let stream = try await StatusStream(port: port, sale: "s1", credential: center.credential)
                    var events = 0
                    while try await stream.next() != nil {
                        events += 1
                        if events == 1 { signal.yield() }
                    }
                    return events
                }
            }
            for await _ in connected { break }
        }
        // The server stopped although a dashboard was still following: its stream ended cleanly after the first
        // event. Had shutdown waited for the follower, the request would have hit its timeout and thrown here.
        #expect(try await #require(follower.withLock { $0 }).value == 1)
    }

    @Test func theDashboardIsServedWithAStrictPolicy() async throws {
        try await withLiveCenter { center, _ in
            let page = try await center.get("/dashboard")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            #expect(page.text.contains(#"<script src="/dashboard/dashboard.js"></script>"#))
            #expect(!page.text.contains("<script>"), "no inline script: the policy would block it")

            let script = try await center.get("/dashboard/dashboard.js")
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.text.contains("/status/stream"))
            #expect(try await center.get("/dashboard/dashboard.css").headers[.contentType] == "text/css; charset=utf-8")
            try center.expectProblem(try await center.get("/dashboard/missing.js"), .notFound)
        }
    }
}

extension SaleStatusStreamTests {
    /// The operations of the dashboard, driven here (OpenAPICenterTests lists them as the "dashboard" group).
    static let operations = ["GET /dashboard", "GET /dashboard/{asset}", "GET /v1/sales/{sale}/status/stream"]

    @Test func theDashboardRoutesAnswerAsDocumented() async throws {
        try await withLiveCenter { center, port in
            let api = try await CheckedCenter(center)
            try await api.call(.get, "/dashboard", expect: .ok)
            try await api.call(.get, "/dashboard/dashboard.js", expect: .ok)
            try await api.call(.get, "/dashboard/dashboard.css", expect: .ok)
            try await api.call(.get, "/dashboard/nope.js", expect: .notFound, code: .notFound)
            try await api.call(.get, "/v1/sales/nope/status/stream", expect: .notFound, code: .unknownSale)

            // The stream's answer as far as its first event (it does not end by itself).
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sales/s1/status/stream")
            request.headers.add(name: "Authorization", value: "Bearer \(center.credential ?? "")")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var iterator = response.body.makeAsyncIterator()
            let first = try #require(try await iterator.next())
            let headers = response.headers.map { (name: $0.name, value: $0.value) }
            #expect(api.api.violations(
                method: "GET", uri: "/v1/sales/s1/status/stream", status: Int(response.status.code), headers: headers,
                body: Data(buffer: first)) == [])
            // The 409 needs 65 followers at once, and a 500 an unexpected failure: not driven. The 401 is driven by
            // OpenAPICenterTests.credentialRefusalsAnswerAsDocumented, the 429 by oneOperatorHoldsAFewStreamsNotAll.
            let unseen = api.api.unseen(operations: Self.operations).filter {
                !$0.hasSuffix(" 500") && !$0.hasSuffix(" 409") && !$0.hasSuffix(" 401") && !$0.hasSuffix(" 429")
            }
            #expect(unseen == [])
        }
    }
}

/// One follower of `GET /v1/sales/{sale}/status/stream` over a real connection, reading events as they come.
private final class StatusStream {
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private var buffer = ""

    init(port: Int, sale: String, credential: String?, http: HTTPClient = .shared) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sales/\(sale)/status/stream")
        if let credential { request.headers.add(name: "Authorization", value: "Bearer \(credential)") }
        // A bound on the whole exchange, not a timing assertion: a stream that never sends fails the test here.
        let response = try await http.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        iterator = response.body.makeAsyncIterator()
    }

    /// The next `status` event (that satisfies `wanted`), or nil when the stream ended first.
    func next(where wanted: (SaleLiveStatus) -> Bool = { _ in true }) async throws -> SaleLiveStatus? {
        while true {
            while let event = takeEvent() {
                guard event.name == "status" else { continue }
                let live = try WireJSON.decoder.decode(SaleLiveStatus.self, from: Data(event.data.utf8))
                if wanted(live) { return live }
            }
            guard iterator != nil, let chunk = try await iterator?.next() else { return nil }
            buffer += String(buffer: chunk)
        }
    }

    func close() { iterator = nil }

    /// The first complete event in the buffer: its name and its data lines joined.
    private func takeEvent() -> (name: String, data: String)? {
        guard let end = buffer.range(of: "\n\n") else { return nil }
        let block = buffer[..<end.lowerBound]
        defer { buffer.removeSubrange(..<end.upperBound) }
        var name = "message", data: [Substring] = []
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(line.dropFirst(6)) }
        }
        return (name, data.joined(separator: "\n"))
    }
}
