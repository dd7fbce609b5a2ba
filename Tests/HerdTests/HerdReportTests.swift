// The report built from a handcrafted run and read-back, and its text and HTML pages.

import FlashSaleAPI
import Foundation
import Testing

@testable import Herd

struct HerdReportTests {
    static func report(readBack: ClusterReadBack = ClusterChecksTests.sound(), faultRun: FaultRun? = nil) -> HerdReport {
        var crowd = CrowdResult()
        crowd.buyersStarted = 12
        for (index, id) in ["eu-1-1-0", "eu-1-1-1", "eu-1-2-0", "eu-1-2-1"].enumerated() {
            crowd.acknowledged.append(.init(id: id, unit: "eu-1", user: "u\(index)", buyerRegion: "eu", atMilliseconds: 100 * index))
        }
        // A replayed 201 repeats an id: one order, not two.
        crowd.acknowledged.append(.init(id: "eu-1-1-0", unit: "eu-1", user: "u0", buyerRegion: "eu", atMilliseconds: 900))
        crowd.acknowledged.append(.init(id: "us-1-1-0", unit: "us-1", user: "u9", buyerRegion: "us", atMilliseconds: 250))
        crowd.answers.add(status: 201, code: nil, count: 6)
        crowd.answers.add(status: 421, code: "wrong-unit", count: 3)
        crowd.answers.add(status: 410, code: "sold-out", count: 6)
        for latency in [1_000, 2_000, 3_000, 40_000] as [UInt64] { crowd.record(latencyMicroseconds: latency) }
        crowd.outcomes = [.ordered: 5, .soldOut: 6, .gaveUp("rebalancing"): 1]
        return HerdReport(
            settings: .init(
                center: "http://127.0.0.1:7000", sale: "tv", buyers: 12, concurrency: 4, split: ["eu": 2, "us": 1],
                timeLimitSeconds: 60, retries: 5, userPrefix: "herd-t-"),
            startedAt: Date(timeIntervalSince1970: 1_800_000_000), terms: (true, nil, 1), tokensMinted: 12,
            buyersPlannedByRegion: ["eu": 8, "us": 4], crowd: crowd, durationMilliseconds: 1_000, readBack: readBack,
            regions: ["eu", "us"], faultRun: faultRun)
    }

    /// Faults that outlast the crowd stretch the chart to their end; a fault that failed fails the report; the
    /// text and the page show each fault with its label, and the page a lane per fault under the chart.
    @Test func faultsAreReportedChartedAndChecked() throws {
        let plan = try FaultPlan(
            counts: [.clockJump: 1, .cutRegion: 1], seed: 4, spanMilliseconds: 1_000, units: ["eu-1"], regions: ["us"])
        let records = plan.faults.map { fault in
            FaultRecord(
                fault: fault, struckAtMilliseconds: fault.atMilliseconds,
                healedAtMilliseconds: fault.atMilliseconds + 2_000, failure: nil)
        }
        let report = Self.report(faultRun: FaultRun(asked: "clock-jump,cut-region", plan: plan, target: "test cluster", records: records))
        #expect(report.passed && report.checks.count == 8 && report.checks.last?.name == "faults applied")
        let last = try #require(report.faults?.lastHealedMilliseconds)
        #expect(report.timeline.bucketCount * report.timeline.bucketMilliseconds > last, "the chart reaches the last heal")
        let jump = try #require(plan.faults.first { $0.kind == .clockJump })
        let text = HerdReportText(report).render()
        #expect(text.contains("faults clock-jump,cut-region on the test cluster (seed 4"))
        #expect(text.contains(jump.label) && text.contains("cut-region") && text.contains("all 8 checks passed"))
        let page = HerdReportPage(report).render()
        #expect(page.contains("<h2>Faults</h2>") && page.contains("\(jump.label) eu-1") && page.contains("cut-region us"))
        #expect(page.contains("--fault-seed 4"))

        var failed = records
        failed[0].failure = "unit eu-1 is not running"
        let broken = Self.report(faultRun: FaultRun(asked: "x", plan: plan, target: "t", records: failed))
        #expect(!broken.passed)
        #expect(HerdReportText(broken).render().contains("FAILED: unit eu-1 is not running"))
    }

    @Test func figuresComeFromDistinctOrdersAndTheClusterRecord() {
        let report = Self.report()
        #expect(report.orders == 5)
        #expect(report.ordersByRegion == ["eu": 4, "us": 1])
        #expect(report.ordersByUnit == ["eu-1": 4, "us-1": 1])
        #expect(report.requests == 15)
        #expect(report.requestsPerSecond == 15)
        #expect(report.outcomes == ["ordered": 5, "sold-out": 6, "gave up: rebalancing": 1])
        #expect(report.cluster.liveOrders == 6)
        #expect(report.cluster.liveOrdersByRegion == ["eu": 4, "us": 2])
        #expect(report.latency.count == 4)
        #expect(abs(report.latency.p50Ms - 2.0) < 0.01)
        #expect(abs(report.latency.maxMs - 40.0) < 0.05)
        #expect(report.timeline.totals == ["eu": 4, "us": 1])
        #expect(report.passed)
    }

    @Test func aFailedCheckFailsTheReport() {
        var broken = ClusterChecksTests.sound()
        broken.orders.append(ClusterChecksTests.order("eu-1-1-1", user: "b"))
        let report = Self.report(readBack: broken)
        #expect(!report.passed)
        #expect(HerdReportText(report).render().contains("1 of 7 checks FAILED"))
        #expect(HerdReportPage(report).render().contains("<td class=\"fail\">FAIL</td>"))
    }

    @Test func theTextReportShowsEveryTable() {
        let text = HerdReportText(Self.report()).render()
        for expected in [
            "herd: sale tv at http://127.0.0.1:7000: 12 of 12 buyers, 4 at a time, split eu=2,us=1",
            "tokens required (12 minted)", "orders 5 (5.0/s)", "REGION", "total", "421 wrong-unit", "gave up: rebalancing",
            "p50 2.00", "minted 10 = sold 6 + returned 0 + at units 4 + never allocated 0", "all 7 checks passed",
        ] {
            #expect(text.contains(expected), "missing: \(expected)\n\(text)")
        }
    }

    @Test func theHTMLPageIsSelfContainedWithOneLinePerRegion() throws {
        let html = HerdReportPage(Self.report()).render()
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("<svg"))
        #expect(html.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(html.contains("eu (4)") && html.contains("us (1)"))
        for external in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(external), "\(external)") }
        #expect(html.contains("All 7 checks passed."))
    }

    @Test func htmlEscapesWhatItShows() {
        #expect(HerdReportPage.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(HerdReportPage.niceCeiling(0) == 1)
        #expect(HerdReportPage.niceCeiling(37) == 50)
        #expect(HerdReportPage.niceCeiling(1_000) == 1_000)
        #expect(HerdReportPage.niceCeiling(1_001) == 2_000)
    }

    @Test func theJSONReportRoundTrips() throws {
        let report = Self.report()
        let data = try WireJSON.encoder.encode(report)
        #expect(try WireJSON.decoder.decode(HerdReport.self, from: data) == report)
    }
}
