// The faults of a rehearsal as they happened, and what buyers saw while each lasted.

/// Built from the plan, the runner's records and the crowd's timed answers, with no I/O.
struct FaultReport: Codable, Equatable, Sendable {
    struct Event: Codable, Equatable, Sendable {
        var kind: FaultKind
        var target: String
        /// The kind, with the step of a clock jump.
        var label: String
        var clockStepSeconds: Int?
        var plannedAtMilliseconds: Int
        /// When it took effect and was undone, in milliseconds since the crowd started (nil: it did not happen).
        var struckAtMilliseconds: Int?
        var healedAtMilliseconds: Int?
        var failure: String?
        /// Answers buyers got from the strike to the heal (to the 100 ms bucket), most frequent first.
        var answers: [HerdReport.Answer]
        /// Orders acknowledged in that time (the same buckets).
        var orders: Int
    }

    /// What was broken: the local cluster from a file, or this host's systemd services.
    var target: String
    var asked: String
    var seed: UInt64
    var spanMilliseconds: Int
    var events: [Event]

    init(asked: String, plan: FaultPlan, target: String, records: [FaultRecord], crowd: CrowdResult, orderTimes: [Int]) {
        self.target = target
        self.asked = asked
        seed = plan.seed
        spanMilliseconds = plan.spanMilliseconds
        events = records.map { record in
            var answers: [HerdReport.Answer] = []
            var orders = 0
            if let start = record.struckAtMilliseconds {
                let end = max(record.healedAtMilliseconds ?? start, start)
                answers = crowd.answerTimeline.tally(fromMilliseconds: start, toMilliseconds: end).sorted
                    .map { HerdReport.Answer(status: $0.key.status, code: $0.key.code, count: $0.count) }
                    .sorted { ($0.count, $1.status) > ($1.count, $0.status) }
                // The same whole buckets as the answers, so the two columns count over one span.
                let width = AnswerTimeline.bucketMilliseconds
                let span = (start / width * width)..<((end / width + 1) * width)
                orders = orderTimes.filter { span.contains($0) }.count
            }
            return Event(
                kind: record.fault.kind, target: record.fault.targetName, label: record.fault.label,
                clockStepSeconds: record.fault.clockStepSeconds,
                plannedAtMilliseconds: record.fault.atMilliseconds, struckAtMilliseconds: record.struckAtMilliseconds,
                healedAtMilliseconds: record.healedAtMilliseconds, failure: record.failure, answers: answers, orders: orders)
        }
    }

    /// When the last fault was undone: the report's timeline reaches at least that far.
    var lastHealedMilliseconds: Int { events.compactMap(\.healedAtMilliseconds).max() ?? 0 }

    /// The check that the rehearsal broke what it said it would: every fault applied and undone.
    var check: ClusterCheck {
        let failed = events.filter { $0.failure != nil || $0.struckAtMilliseconds == nil || $0.healedAtMilliseconds == nil }
        let detail = failed.isEmpty
            ? "\(events.count) faults applied and undone (seed \(seed))"
            : failed.map { "\($0.kind.rawValue) \($0.target): \($0.failure ?? "not applied")" }.joined(separator: "; ")
        return ClusterCheck(name: "faults applied", passed: failed.isEmpty, detail: detail)
    }

    /// "503 rebalancing 12, 201 3": the answers of an event, at most `limit` kinds.
    static func summary(_ answers: [HerdReport.Answer], limit: Int = 4) -> String {
        guard !answers.isEmpty else { return "none" }
        var parts = answers.prefix(limit).map { answer in
            "\(answer.code.map { "\(answer.status) \($0)" } ?? "\(answer.status)") \(Figures.grouped(answer.count))"
        }
        if answers.count > limit { parts.append("\(answers.count - limit) more kinds") }
        return parts.joined(separator: ", ")
    }
}
