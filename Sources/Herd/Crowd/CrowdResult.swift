// What the crowd saw: answers, latencies, orders and outcomes; one per worker, merged at the end.

import Histogram

/// The herd's own record of a run. Each worker fills its own, so recording takes no lock; `merge` adds them up.
struct CrowdResult: Sendable {
    /// An order the herd was given in a 201.
    struct Acknowledged: Codable, Equatable, Sendable {
        var id: String
        var unit: String
        var user: String
        /// The region the buyer was sent to by the split.
        var buyerRegion: String
        /// When the answer arrived, in milliseconds since the crowd started.
        var atMilliseconds: Int
    }

    var answers = AnswerTally()
    /// The same answers by when they arrived.
    var answerTimeline = AnswerTimeline()
    /// Purchase round trips in microseconds (challenge fetches are not purchases and are not in it).
    var latencyMicroseconds = LatencySummary.histogram()
    var acknowledged: [Acknowledged] = []
    var outcomes: [BuyerOutcome: Int] = [:]
    var buyersStarted = 0
    var challengesSolved = 0

    /// An answer, counted in total and at its time.
    mutating func add(status: Int, code: String?, atMilliseconds: Int) {
        answers.add(status: status, code: code)
        answerTimeline.add(atMilliseconds: atMilliseconds, status: status, code: code)
    }

    mutating func record(latencyMicroseconds value: UInt64) {
        _ = latencyMicroseconds.record(min(max(value, 1), LatencySummary.trackableMicrosecondsMax))
    }

    mutating func merge(_ other: CrowdResult) {
        answers.merge(other.answers)
        answerTimeline.merge(other.answerTimeline)
        latencyMicroseconds.add(other.latencyMicroseconds)
        acknowledged += other.acknowledged
        for (outcome, count) in other.outcomes { outcomes[outcome, default: 0] += count }
        buyersStarted += other.buyersStarted
        challengesSolved += other.challengesSolved
    }

    /// Distinct orders acknowledged (a replayed 201 repeats an id).
    var acknowledgedIDs: Set<String> { Set(acknowledged.map(\.id)) }
}
