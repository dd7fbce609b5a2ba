// The config-center retires a silent owner of an open sale, so its region's other owners take its buyers over.

@testable import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The config-center's monotonic clock, moved by hand in milliseconds (a pause is a jump with no tick in between).
final class MonotonicTestClock: Sendable {
    private let ms = Mutex<Int64>(0)

    var nowMs: Int64 { ms.withLock { $0 } }

    func advance(ms step: Int64) { ms.withLock { $0 += step } }
}

/// A config-center whose retirement loop the test ticks by hand, on a monotonic clock it moves.
struct RetiringCenter: Sendable {
    let center: CenterClient
    let retirement: OwnerRetirement
    let monotonic: MonotonicTestClock

    /// The loop's tick interval, in ms.
    static let tickMs: Int64 = 250

    /// Runs `seconds` of time: each second, every unit of `reporting` reports (its custody from `custody`, none when
    /// it gives nil), then four ticks of 250 ms. Returns the retirements written meanwhile.
    @discardableResult
    func run(
        seconds: Int, reporting: [String],
        custody: @Sendable (String) -> [String: CustodyStatus]? = { _ in RetiringCenter.caughtUp }
    ) async throws -> [RetirementPass.Retirement] {
        var retired: [RetirementPass.Retirement] = []
        for _ in 0..<seconds {
            for unit in reporting { try await report(unit, custody: custody(unit)) }
            for _ in 0..<4 {
                monotonic.advance(ms: Self.tickMs)
                retired += await retirement.tick()
            }
        }
        return retired
    }

    /// Sends `unit`'s signed heartbeat (region from its id's prefix) carrying `custody`; it must be taken.
    func report(_ unit: String, custody: [String: CustodyStatus]?) async throws {
        let region = String(unit.prefix { $0 != "-" })
        let report = UnitReport(
            unit: unit, region: region, url: "http://127.0.0.1:8000/\(unit)", configVersion: 0, sales: [:], custody: custody)
        _ = try center.ok(UnitSpec.self, try await center.post("/v1/units/\(unit)/report", report))
    }

    /// Sale s1's units retired, by region, as the served configuration has them.
    func retired(_ sale: String = "s1") async throws -> [String: [String]]? {
        try await center.config().sales.first { $0.terms.id == sale }?.retired
    }

    /// Custody of s1 at view 0, owing no copy: a unit that is caught up.
    static let caughtUp: [String: CustodyStatus] = ["s1": CustodyStatus(view: 0, owed: [])]
}

/// Runs `body` against a fresh config-center with its retirement loop (silent 5 s retires) ticked by the test.
func withRetiringCenter(silenceMs: Int64 = 5_000, _ body: @Sendable (RetiringCenter) async throws -> Void) async throws {
    let dir = temporaryDirectoryPath()
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
    defer { try? pool.close() }
    let clock = TestClock()
    let monotonic = MonotonicTestClock()
    let store = try CenterStore(pool: pool, nowMs: { clock.nowMs }, monotonicMs: { monotonic.nowMs })
    let retirement = OwnerRetirement(store: store, silenceMs: silenceMs)
    let app = Application(router: CenterRoutes.router(store: store))
    let admin = try await testAdmin(store)
    try await app.test(.router) { client in
        let center = CenterClient(client: client, clock: clock, credential: admin)
        try await body(RetiringCenter(center: center, retirement: retirement, monotonic: monotonic))
    }
}

@Suite("Retiring silent owners")
struct RetirementTests {
    /// Three owners report, one falls silent: five seconds after its last report it is retired, once, and the
    /// configuration says so under a higher version; the long-poll of a unit is answered with it.
    @Test func aSilentOwnerIsRetiredAfterTheSpan() async throws {
        try await withRetiringCenter { retiring in
            let center = retiring.center
            try await center.addCluster(["eu": ["eu-1", "eu-2", "eu-3"], "us": ["us-1", "us-2"]])
            try await center.createSale(saleSpec("s1"))
            try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2", "eu-3", "us-1", "us-2"])
            let version = try await center.version()
            let poll = Task { try await center.get("/v1/config?after=\(version)&wait=20") }

            #expect(try await retiring.run(seconds: 3, reporting: ["eu-1", "eu-2", "us-1", "us-2"]).isEmpty, "silent 4 s")
            #expect(try await retiring.retired() == nil)
            let retired = try await retiring.run(seconds: 2, reporting: ["eu-1", "eu-2", "us-1", "us-2"])
            #expect(retired.map(\.unit) == ["eu-3"])

            #expect(try await retiring.retired() == ["eu": ["eu-3"]])
            #expect(try await center.version() == version + 1)
            let answer = try center.decode(ClusterConfig.self, try await poll.value)
            #expect(answer.version == version + 1 && answer.sales.first?.retired == ["eu": ["eu-3"]])
            #expect(answer.sales.first?.custodyView(region: "eu")?.members == [NodeID("eu-1"), NodeID("eu-2")])

            // Nobody else: eu-1 and eu-2 still report view 0, so no further view is due until they follow.
            #expect(try await retiring.run(seconds: 10, reporting: ["eu-1", "eu-2", "us-1", "us-2"]).isEmpty)
            #expect(try await retiring.retired() == ["eu": ["eu-3"]])
        }
    }

    /// A member that may lack a copy of an order (owed to another member than the silent one) blocks the retirement:
    /// its buyers' guardian might not hold it. Owed only to the silent unit, it does not.
    @Test func aCopyOwedToAnotherMemberBlocksRetirement() async throws {
        try await withRetiringCenter { retiring in
            try await retiring.center.addCluster(["eu": ["eu-1", "eu-2", "eu-3"]])
            try await retiring.center.createSale(saleSpec("s1"))
            try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2", "eu-3"])
            let owingEU2: @Sendable (String) -> [String: CustodyStatus]? = { unit in
                unit == "eu-1" ? ["s1": CustodyStatus(view: 0, owed: [NodeID("eu-2")])] : RetiringCenter.caughtUp
            }
            #expect(try await retiring.run(seconds: 10, reporting: ["eu-1", "eu-2"], custody: owingEU2).isEmpty)
            #expect(try await retiring.retired() == nil)

            let owingEU3: @Sendable (String) -> [String: CustodyStatus]? = { unit in
                unit == "eu-1" ? ["s1": CustodyStatus(view: 0, owed: [NodeID("eu-3")])] : RetiringCenter.caughtUp
            }
            let retired = try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2"], custody: owingEU3)
            #expect(retired.map(\.unit) == ["eu-3"])
        }
    }

    /// Before its start a sale retires nobody, however long a unit is silent; it does once it opens.
    @Test func aSaleNotYetOpenRetiresNobody() async throws {
        try await withRetiringCenter { retiring in
            try await retiring.center.addCluster(["eu": ["eu-1", "eu-2", "eu-3"]])
            try await retiring.center.createSale(saleSpec("s1", startsAt: Fixed.at(600)))
            #expect(try await retiring.run(seconds: 10, reporting: ["eu-1", "eu-2"]).isEmpty)
            #expect(try await retiring.retired() == nil)

            retiring.center.clock.advance(seconds: 600)
            #expect(try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2"]).map(\.unit) == ["eu-3"])
        }
    }

    /// A region keeps one owner: the last member is never retired, nor a region's only unit, nor anyone when the
    /// whole region is silent (cut off, not down).
    @Test func theLastMemberIsNeverRetired() async throws {
        try await withRetiringCenter { retiring in
            try await retiring.center.addCluster(["eu": ["eu-1", "eu-2"], "us": ["us-1"], "ap": ["ap-1", "ap-2"]])
            try await retiring.center.createSale(saleSpec("s1"))
            try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2", "us-1", "ap-1", "ap-2"])
            let retired = try await retiring.run(seconds: 6, reporting: ["eu-1"])
            #expect(retired.map(\.unit) == ["eu-2"], "us-1 is alone, ap's units are both silent")

            #expect(try await retiring.run(seconds: 10, reporting: []).isEmpty, "eu-1 is the last, though silent too")
            #expect(try await retiring.retired() == ["eu": ["eu-2"]])
        }
    }

    /// A config-center that was paused heard nobody meanwhile: on waking it retires nobody until it has been awake
    /// for the whole span, though the silent unit's last report is long past. A report without custody counts as
    /// view 0 owing nothing.
    @Test func aPausedCenterWaitsTheSpanAgain() async throws {
        try await withRetiringCenter { retiring in
            try await retiring.center.addCluster(["eu": ["eu-1", "eu-2", "eu-3"]])
            try await retiring.center.createSale(saleSpec("s1"))
            try await retiring.run(seconds: 1, reporting: ["eu-1", "eu-2", "eu-3"], custody: { _ in nil })
            try await retiring.run(seconds: 2, reporting: ["eu-1", "eu-2"], custody: { _ in nil })

            retiring.monotonic.advance(ms: 10_000)  // stopped ten seconds: no tick, no report
            #expect(try await retiring.run(seconds: 4, reporting: ["eu-1", "eu-2"], custody: { _ in nil }).isEmpty)
            #expect(try await retiring.retired() == nil)
            let retired = try await retiring.run(seconds: 2, reporting: ["eu-1", "eu-2"], custody: { _ in nil })
            #expect(retired.map(\.unit) == ["eu-3"], "awake five seconds again")
        }
    }

    /// A late tick restarts the awake span; ticks on time keep it.
    @Test func theAwakeWatchRestartsAfterAGap() {
        var watch = AwakeWatch(startMs: 100)
        #expect(watch.tick(atMs: 350) == 100)
        #expect(watch.tick(atMs: 1_350) == 100, "exactly the gap is no pause")
        #expect(watch.tick(atMs: 2_351) == 2_351)
        #expect(watch.tick(atMs: 2_600) == 2_351)
    }
}
