// The rehearsal's report: what the herd did and saw, and what the cluster says happened. Also the --json file.

import FlashSaleAPI
import Foundation

/// Everything the text and HTML pages show, as plain data. Built from the crowd's record and the cluster's
/// read-back with no I/O, so tests can build one from handcrafted inputs.
struct HerdReport: Codable, Equatable, Sendable {
    /// How the run was asked for.
    struct Settings: Codable, Equatable, Sendable {
        var center: String
        var sale: String
        var buyers: Int
        var concurrency: Int
        /// Region weights as given (or even).
        var split: [String: Int]
        var timeLimitSeconds: Int
        var retries: Int
        var userPrefix: String
    }

    /// One line of the answers table.
    struct Answer: Codable, Equatable, Sendable {
        var status: Int
        var code: String?
        var count: Int
    }

    /// The cluster's account of the sale, from its logs and the config-center.
    struct ClusterFigures: Codable, Equatable, Sendable {
        /// Orders holding stock in the units' logs, per unit and region.
        var liveOrders: Int
        var liveOrdersByUnit: [String: Int]
        var liveOrdersByRegion: [String: Int]
        var minted: Int64
        var sold: Int64
        var returned: Int64
        var atUnits: Int64
        var neverAllocated: Int64
    }

    var settings: Settings
    var startedAt: Date
    /// Sale terms the herd followed.
    var tokensRequired: Bool
    var captchaDifficulty: Int?
    var perUserLimit: Int
    var tokensMinted: Int
    var challengesSolved: Int

    var buyersPlannedByRegion: [String: Int]
    var buyersStarted: Int
    var outcomes: [String: Int]
    var durationSeconds: Double
    var requests: Int
    var requestsPerSecond: Double
    var orders: Int
    var ordersPerSecond: Double
    /// The herd's acknowledged orders by the region and unit that took them.
    var ordersByRegion: [String: Int]
    var ordersByUnit: [String: Int]
    var answers: [Answer]
    var latency: LatencySummary
    var timeline: SalesTimeline
    var cluster: ClusterFigures
    var checks: [ClusterCheck]
    /// The faults applied during the run (`--faults`), or nil.
    var faults: FaultReport?
    /// Every check passed.
    var passed: Bool

    init(
        settings: Settings, startedAt: Date, terms: (tokensRequired: Bool, captchaDifficulty: Int?, perUserLimit: Int),
        tokensMinted: Int, buyersPlannedByRegion: [String: Int], crowd: CrowdResult, durationMilliseconds: Int,
        readBack: ClusterReadBack, regions: [String], faultRun: FaultRun? = nil
    ) {
        self.settings = settings
        self.startedAt = startedAt
        tokensRequired = terms.tokensRequired
        captchaDifficulty = terms.captchaDifficulty
        perUserLimit = terms.perUserLimit
        self.tokensMinted = tokensMinted
        challengesSolved = crowd.challengesSolved
        self.buyersPlannedByRegion = buyersPlannedByRegion
        buyersStarted = crowd.buyersStarted
        outcomes = Dictionary(crowd.outcomes.map { ($0.key.label, $0.value) }, uniquingKeysWith: +)
        let seconds = max(Double(durationMilliseconds) / 1_000, 0.001)
        durationSeconds = Double(durationMilliseconds) / 1_000
        requests = crowd.answers.total
        requestsPerSecond = Double(requests) / seconds

        // One entry per distinct order: a replayed 201 repeats an id and is not another sale.
        var firstSeen: [String: CrowdResult.Acknowledged] = [:]
        for order in crowd.acknowledged where (firstSeen[order.id]?.atMilliseconds ?? .max) > order.atMilliseconds {
            firstSeen[order.id] = order
        }
        let distinct = Array(firstSeen.values)
        let faults = faultRun.map { run in
            FaultReport(
                asked: run.asked, plan: run.plan, target: run.target, records: run.records, crowd: crowd,
                orderTimes: distinct.map(\.atMilliseconds))
        }
        orders = distinct.count
        ordersPerSecond = Double(orders) / seconds
        let regionOf = { (order: CrowdResult.Acknowledged) in readBack.regionOfUnit[order.unit] ?? order.buyerRegion }
        ordersByRegion = Dictionary(distinct.map { (regionOf($0), 1) }, uniquingKeysWith: +)
        ordersByUnit = Dictionary(distinct.map { ($0.unit, 1) }, uniquingKeysWith: +)
        answers = crowd.answers.sorted.map { Answer(status: $0.key.status, code: $0.key.code, count: $0.count) }
        latency = LatencySummary(crowd.latencyMicroseconds)
        timeline = SalesTimeline(
            sales: distinct.map { (regionOf($0), $0.atMilliseconds) }, regions: regions,
            durationMilliseconds: max(durationMilliseconds, faults?.lastHealedMilliseconds ?? 0),
            bucketMilliseconds: SalesTimeline.bucketMilliseconds(
                forDurationMilliseconds: max(durationMilliseconds, faults?.lastHealedMilliseconds ?? 0)))

        var liveByID: [String: OrderView] = [:]
        for order in readBack.liveOrders { liveByID[order.id] = order }
        cluster = ClusterFigures(
            liveOrders: liveByID.count,
            liveOrdersByUnit: Dictionary(liveByID.values.map { ($0.unit, 1) }, uniquingKeysWith: +),
            liveOrdersByRegion: Dictionary(
                liveByID.values.map { (readBack.regionOfUnit[$0.unit] ?? "?", 1) }, uniquingKeysWith: +),
            minted: readBack.status.minted, sold: readBack.status.sold, returned: readBack.status.returned,
            atUnits: readBack.atUnits, neverAllocated: readBack.neverAllocated)
        checks = ClusterChecks.evaluate(readBack, perUserLimit: terms.perUserLimit, acknowledged: crowd.acknowledgedIDs)
        if let faults { checks.append(faults.check) }
        self.faults = faults
        passed = checks.allSatisfy(\.passed)
    }
}
