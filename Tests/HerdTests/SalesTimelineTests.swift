// Bucketing orders over time for the chart.

import Testing

@testable import Herd

struct SalesTimelineTests {
    @Test func countsAreCumulativePerRegionPerBucket() {
        let timeline = SalesTimeline(
            sales: [("eu", 50), ("eu", 120), ("us", 130), ("eu", 399), ("ap", 10)], regions: ["eu", "us"],
            durationMilliseconds: 400, bucketMilliseconds: 100)
        #expect(timeline.regions == ["eu", "us", "ap"], "a region outside the split still shows")
        #expect(timeline.cumulative["eu"] == [1, 2, 2, 3, 3])
        #expect(timeline.cumulative["us"] == [0, 1, 1, 1, 1])
        #expect(timeline.cumulative["ap"] == [1, 1, 1, 1, 1])
        #expect(timeline.totals == ["eu": 3, "us": 1, "ap": 1])
    }

    @Test func lateAndNegativeOffsetsStayInsideTheChart() {
        let timeline = SalesTimeline(
            sales: [("eu", -5), ("eu", 10_000)], regions: ["eu"], durationMilliseconds: 250, bucketMilliseconds: 100)
        #expect(timeline.cumulative["eu"] == [1, 1, 2])
    }

    @Test func bucketsWidenForLongRunsSoTheChartStaysSmall() {
        #expect(SalesTimeline.bucketMilliseconds(forDurationMilliseconds: 3_000) == 100)
        #expect(SalesTimeline.bucketMilliseconds(forDurationMilliseconds: 60_000) == 250)
        #expect(SalesTimeline.bucketMilliseconds(forDurationMilliseconds: 3_600_000) == 10_000)
        for duration in [0, 59_999, 60_000, 600_000, 86_400_000] {
            let width = SalesTimeline.bucketMilliseconds(forDurationMilliseconds: duration)
            #expect(duration / width < SalesTimeline.bucketsMax + 1)
        }
    }
}
