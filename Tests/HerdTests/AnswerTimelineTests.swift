// Answers counted by when they arrived.

import Testing

@testable import Herd

struct AnswerTimelineTests {
    @Test func bucketsMergeAndATallyCoversEveryBucketItsSpanTouches() {
        var a = AnswerTimeline()
        var b = AnswerTimeline()
        a.add(atMilliseconds: 99, status: 201, code: nil)
        b.add(atMilliseconds: 100, status: 201, code: nil)
        b.add(atMilliseconds: -3, status: 410, code: "sold-out")
        a.merge(b)
        #expect(a.tally(fromMilliseconds: 0, toMilliseconds: 0).total == 2)
        #expect(a.tally(fromMilliseconds: 0, toMilliseconds: 100).total == 3)
        #expect(a.tally(fromMilliseconds: 150, toMilliseconds: 10).total == 1, "an end before the start is the start")
        #expect(a.tally(fromMilliseconds: 200, toMilliseconds: 900).total == 0)
    }
}
