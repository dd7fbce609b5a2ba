// GET /v1/config: the configuration units run on, and the long-poll that tells them when it changes.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Configuration and long-poll")
struct ConfigLongPollTests {
    @Test("the config holds regions, units and sales with the center's row of grants")
    func contents() async throws {
        try await withCenter { center in
            try await center.addRegion("eu", endpoint: "https://eu.example.test")
            try await center.addRegion("us")
            try await center.addUnit("eu-1", region: "eu", url: "http://10.0.0.1:8080")
            try await center.addUnit("eu-2", region: "eu", url: "http://10.0.0.2:8080")
            try await center.addUnit("us-1", region: "us", url: "http://10.0.1.1:8080")
            // A heartbeat sets lastSeen; the config does not carry it (it would change every second).
            _ = try await center.post(
                "/v1/units/us-1/report",
                UnitReport(unit: "us-1", region: "us", url: "http://10.0.1.1:8080", configVersion: 5, sales: [:]))
            try await center.createSale(saleSpec("s1", stock: 100, perUserLimit: 2))
            try await center.createSale(saleSpec("s2", title: "Laptop", stock: 10))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 9, "us": 1]))

            let response = try await center.get("/v1/config")
            let config = try center.ok(ClusterConfig.self, response)
            #expect(config.version == 8)
            #expect(config.regions == [RegionSpec(id: "eu", endpoint: "https://eu.example.test"), RegionSpec(id: "us")])
            #expect(config.units == [
                UnitSpec(id: "eu-1", region: "eu", url: "http://10.0.0.1:8080", publicKey: TestKeys.key("eu-1").publicKey),
                UnitSpec(id: "eu-2", region: "eu", url: "http://10.0.0.2:8080", publicKey: TestKeys.key("eu-2").publicKey),
                UnitSpec(id: "us-1", region: "us", url: "http://10.0.1.1:8080", publicKey: TestKeys.key("us-1").publicKey),
            ])
            #expect(config.sales.map(\.terms.id) == ["s1", "s2"])
            #expect(config.sales[0].terms.perUserLimit == 2)
            #expect(config.sales[0].centerRow == LedgerRow(minted: 100, grantedTo: ["eu-1": 5, "eu-2": 4, "us-1": 1]))
            #expect(config.sales[1].terms.title == "Laptop")
            #expect(config.sales[1].centerRow == LedgerRow(minted: 10))

            // The body is WireJSON: sorted keys, ISO 8601 dates.
            #expect(response.data == (try WireJSON.encoder.encode(config)))
        }
    }

    @Test("a long-poll behind the current version answers at once with it")
    func behindAnswersAtOnce() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.addRegion("us")
            for after in [0, 1] {
                let config = try center.ok(ClusterConfig.self, try await center.get("/v1/config?after=\(after)&wait=30"))
                #expect(config.version == 2)
                #expect(config.regions.map(\.id) == ["eu", "us"])
            }
        }
    }

    @Test("a long-poll with nothing new answers with the same version once its wait is over")
    func timesOutWithSameVersion() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let config = try center.ok(ClusterConfig.self, try await center.get("/v1/config?after=1&wait=1"))
            #expect(config.version == 1)
            #expect(config.regions.map(\.id) == ["eu"])
            // Ahead of the center (a unit that saw an older database): same answer after the wait.
            #expect(try center.ok(ClusterConfig.self, try await center.get("/v1/config?after=7&wait=1")).version == 1)
            // wait=0 is a plain read, whatever `after` says.
            #expect(try center.ok(ClusterConfig.self, try await center.get("/v1/config?after=1&wait=0")).version == 1)
        }
    }

    /// Long-polls on the store itself, whose wait can be an hour: a poll that the change did not wake would wait
    /// that hour, so a deadline of two minutes tells the two apart on however loaded a machine, with no tighter
    /// timing (through HTTP the wait is at most 30 s, too close to what a busy 2-core machine can take).
    private func withStore(_ body: @Sendable (CenterStore) async throws -> Void) async throws {
        let dir = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        defer { try? pool.close() }
        try await body(try CenterStore(pool: pool, nowMs: { Fixed.nowMs }))
    }

    /// `polls` long-polls of an hour after version `after`, all answered once `change` has run; nil if two minutes
    /// pass first (the polls were not woken).
    private func wokenPolls(
        _ store: CenterStore, count polls: Int, after: Int64, change: @escaping @Sendable () async throws -> Void
    ) async throws -> [ClusterConfig]? {
        try await withThrowingTaskGroup(of: [ClusterConfig]?.self) { race in
            race.addTask {
                try await withThrowingTaskGroup(of: ClusterConfig.self) { group in
                    for _ in 0..<polls {
                        group.addTask {
                            try WireJSON.decoder.decode(
                                ClusterConfig.self, from: try await store.configBody(after: after, timeout: .seconds(3_600)))
                        }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    try await change()
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            race.addTask {
                try await Task.sleep(for: .seconds(120))
                return nil
            }
            let first = try await race.next() ?? nil
            race.cancelAll()
            return first
        }
    }

    @Test("a change made while a long-poll waits wakes it with the new version")
    func changeWakesPoll() async throws {
        try await withStore { store in
            _ = try await store.upsertRegion(RegionSpec(id: "eu"))
            let configs = try await wokenPolls(store, count: 1, after: 1) {
                _ = try await store.upsertRegion(RegionSpec(id: "us"))
            }
            let config = try #require(configs?.first, "the poll was not woken by the change")
            #expect(config.version == 2)
            #expect(config.regions.map(\.id) == ["eu", "us"])
        }
    }

    @Test("many long-polls are all woken by one change")
    func manyPollsWoken() async throws {
        try await withStore { store in
            _ = try await store.upsertRegion(RegionSpec(id: "eu"))
            let configs = try await wokenPolls(store, count: 20, after: 1) {
                _ = try await store.createSale(saleSpec())
            }
            let versions = try #require(configs, "the polls were not woken by the change").map(\.version)
            #expect(versions == Array(repeating: 2, count: 20))
        }
    }

    /// Long-poll slots are shared: one caller (here a unit with its own key) holds at most two at once, so it cannot
    /// take the slots every other unit needs to follow the configuration.
    @Test("one caller holds at most two long-polls; the others are not kept out by it")
    func longPollQuota() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            let version = try center.ok(ClusterConfig.self, try await center.get("/v1/config")).version
            let asUnit = center.with(credential: nil)
            @Sendable func poll(as unit: String) async throws -> TestResponse {
                let uri = "/v1/config?after=\(version)&wait=2"
                let headers = TestKeys.headers(unit: unit, method: .get, uri: uri, body: Data(), nowMs: center.clock.nowMs)
                return try await asUnit.execute(uri: uri, method: .get, headers: headers)
            }
            let held = [Task { try await poll(as: "eu-1") }, Task { try await poll(as: "eu-1") }]
            try await Task.sleep(for: .milliseconds(300))
            let third = try await poll(as: "eu-1")
            try center.expectProblem(third, .rateLimited)
            #expect(third.headers[.retryAfter] == "1")
            let other = try await poll(as: "eu-2")
            #expect(other.status == .ok, "another unit still follows")
            for poll in held { #expect(try await poll.value.status == .ok) }
            #expect(try await poll(as: "eu-1").status == .ok, "answered, the slots are free again")
        }
    }

    @Test("a request that changes nothing does not wake a long-poll")
    func noOpDoesNotWake() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let poll = Task {
                try center.ok(ClusterConfig.self, try await center.get("/v1/config?after=1&wait=1"))
            }
            try await Task.sleep(for: .milliseconds(100))
            try await center.addRegion("eu")
            _ = try await center.post("/v1/regions", RegionSpec(id: "Bad"))
            let config = try await poll.value
            #expect(config.version == 1)
        }
    }

    @Test(
        "invalid long-poll parameters are refused with invalid-input",
        arguments: ["after=-1", "wait=99", "wait=31", "wait=-1", "after=abc", "wait=1.5", "after=1&wait=x"])
    func invalidParameters(query: String) async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let problem = try await center.expectRefused(.invalidInput) { try await center.get("/v1/config?\(query)") }
            #expect(problem.detail?.contains("must be an integer") == true)
        }
    }
}

/// A change wakes every unit's long-poll at once: the configuration is read and encoded once for all of them.
@Test func theConfigurationIsRenderedOncePerStateNotOncePerAsker() async throws {
    let dir = temporaryDirectoryPath()
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
    defer { try? pool.close() }
    let store = try CenterStore(pool: pool)
    _ = try await store.upsertRegion(RegionSpec(id: "eu"))
    func fifty() async throws -> Set<Data> {
        try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<50 { group.addTask { try await store.configBody() } }
            return try await group.reduce(into: Set<Data>()) { $0.insert($1) }
        }
    }
    let first = try await fifty()
    #expect(first.count == 1)
    let rendersAfterFirst = store.configRenders
    #expect(rendersAfterFirst == 1, "one render for fifty askers")
    _ = try await fifty()
    #expect(store.configRenders == rendersAfterFirst, "nothing changed: no render")
    _ = try await store.upsertRegion(RegionSpec(id: "us"))
    let second = try await fifty()
    #expect(second.count == 1 && second != first)
    #expect(store.configRenders == rendersAfterFirst + 1)
    let config = try WireJSON.decoder.decode(ClusterConfig.self, from: try #require(second.first))
    #expect(config.regions.map(\.id).sorted() == ["eu", "us"])
}
