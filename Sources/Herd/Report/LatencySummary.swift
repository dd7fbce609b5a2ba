// Latency percentiles of the herd's purchase requests, from an HdrHistogram.

import Histogram

/// The percentiles the report shows, in milliseconds. Values come from a histogram of microseconds with three
/// significant digits, so each is within 0.1% of the exact one, however many requests there were.
struct LatencySummary: Codable, Equatable, Sendable {
    var count: Int
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double
    var meanMs: Double

    /// Longest latency the histogram tracks exactly: a purchase answer slower than a minute is recorded as a minute.
    static let trackableMicrosecondsMax: UInt64 = 60_000_000

    /// An empty histogram for purchase latencies in microseconds.
    static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: trackableMicrosecondsMax, numberOfSignificantValueDigits: .three)
    }

    init(_ histogram: Histogram<UInt64>) {
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1_000 }
        count = Int(histogram.totalCount)
        let empty = histogram.totalCount == 0
        p50Ms = empty ? 0 : ms(histogram.valueAtPercentile(50))
        p90Ms = empty ? 0 : ms(histogram.valueAtPercentile(90))
        p99Ms = empty ? 0 : ms(histogram.valueAtPercentile(99))
        p999Ms = empty ? 0 : ms(histogram.valueAtPercentile(99.9))
        maxMs = empty ? 0 : ms(histogram.max)
        meanMs = empty ? 0 : histogram.mean / 1_000
    }
}
