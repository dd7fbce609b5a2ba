// Answers counted per 100 ms of the run, so the report can say what buyers saw while each fault lasted.

/// Answers by kind in fixed buckets since the crowd started. Each worker keeps its own; merged at the end.
struct AnswerTimeline: Sendable, Equatable {
    static let bucketMilliseconds = 100

    private(set) var buckets: [Int: AnswerTally] = [:]

    mutating func add(atMilliseconds: Int, status: Int, code: String?) {
        buckets[max(atMilliseconds, 0) / Self.bucketMilliseconds, default: AnswerTally()].add(status: status, code: code)
    }

    mutating func merge(_ other: AnswerTimeline) {
        for (bucket, tally) in other.buckets { buckets[bucket, default: AnswerTally()].merge(tally) }
    }

    /// Answers that arrived from `start` to `end` milliseconds, to the bucket: every bucket the span touches.
    func tally(fromMilliseconds start: Int, toMilliseconds end: Int) -> AnswerTally {
        var total = AnswerTally()
        let first = max(start, 0) / Self.bucketMilliseconds
        let last = max(end, start, 0) / Self.bucketMilliseconds
        for (bucket, tally) in buckets where (first...last).contains(bucket) { total.merge(tally) }
        return total
    }
}
