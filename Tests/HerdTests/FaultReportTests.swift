// The report of a run's faults: what buyers saw within each fault's span, and the check.

import Testing

@testable import Herd

struct FaultReportTests {
    @Test func eachFaultShowsTheAnswersAndOrdersOfItsOwnSpan() throws {
        let plan = try FaultPlan(counts: [.kill: 1, .pause: 1], seed: 3, spanMilliseconds: 1_000, units: ["u1"])
        var crowd = CrowdResult()
        crowd.add(status: 201, code: nil, atMilliseconds: 50)
        crowd.add(status: 0, code: "connect", atMilliseconds: 1_050)
        crowd.add(status: 0, code: "connect", atMilliseconds: 1_150)
        crowd.add(status: 201, code: nil, atMilliseconds: 1_160)
        crowd.add(status: 503, code: "rebalancing", atMilliseconds: 5_000)
        let records = [
            FaultRecord(fault: plan.faults[0], struckAtMilliseconds: 1_020, healedAtMilliseconds: 1_199, failure: nil),
            FaultRecord(fault: plan.faults[1], struckAtMilliseconds: nil, healedAtMilliseconds: nil, failure: "unit u1 is not running"),
        ]
        let report = FaultReport(
            asked: "kill,pause", plan: plan, target: "test", records: records, crowd: crowd, orderTimes: [50, 1_160, 4_000])
        #expect(report.events[0].answers == [
            HerdReport.Answer(status: 0, code: "connect", count: 2), HerdReport.Answer(status: 201, code: nil, count: 1),
        ])
        #expect(report.events[0].orders == 1)
        #expect(report.events[1].answers.isEmpty && report.events[1].orders == 0)
        #expect(report.lastHealedMilliseconds == 1_199)
        #expect(!report.check.passed && report.check.detail.contains("not running"), "a fault that did not happen fails the run")
        #expect(FaultReport.summary(report.events[0].answers) == "0 connect 2, 201 1")
    }
}
