// A smoothed rate of purchase attempts, the demand signal the rebalancer follows.

import Foundation

/// An exponentially weighted moving average of events per second with a fixed half-life. The caller passes
/// the time; the meter reads no clock.
///
/// Recording is on the purchase hot path, so it only counts: events are gathered per `bucketMs` and folded into
/// the average (one `pow`) when a later bucket starts or when the rate is read.
public struct DemandMeter: Sendable, Hashable {
    public let halfLifeMs: Double
    public let bucketMs: Int64
    /// The average as of the start of `bucketStartMs`, excluding the events counted in that bucket.
    private var rate: Double = 0
    private var bucketStartMs: Int64?
    private var bucketCount = 0
    /// Buyers already counted in the current window (one half-life long), and when it started.
    private var buyersSeen: Set<String> = []
    private var windowStartMs: Int64?
    /// Most buyers remembered per window; past it every attempt counts (memory stays bounded, and a crowd that large
    /// is real demand).
    public static let buyersMaxPerWindow = 100_000

    public init(halfLifeMs: Double = 1_000, bucketMs: Int64 = 100) {
        precondition(halfLifeMs > 0 && bucketMs > 0)
        self.halfLifeMs = halfLifeMs
        self.bucketMs = bucketMs
    }

    /// Records `count` attempts seen at `nowMs`.
    public mutating func record(_ count: Int = 1, atMs nowMs: Int64) {
        if let start = bucketStartMs, nowMs < start + bucketMs {
            bucketCount += count
            return
        }
        rate = rate(atMs: nowMs)
        bucketStartMs = nowMs
        bucketCount = count
    }

    /// Records an attempt of `buyer` at `nowMs`, counted once per buyer per half-life: a buyer retrying in a tight
    /// loop weighs as one buyer, not as a crowd, so one client cannot pull stock toward itself.
    public mutating func record(buyer: String, atMs nowMs: Int64) {
        let window = Int64(halfLifeMs)
        if let start = windowStartMs, nowMs >= start, nowMs < start + window {
            if buyersSeen.count < Self.buyersMaxPerWindow, !buyersSeen.insert(buyer).inserted { return }
        } else {
            windowStartMs = nowMs
            buyersSeen.removeAll(keepingCapacity: true)
            buyersSeen.insert(buyer)
        }
        record(atMs: nowMs)
    }

    /// The rate at `nowMs`, in events per second.
    public func rate(atMs nowMs: Int64) -> Double {
        guard let start = bucketStartMs else { return rate }
        // Each event adds an impulse of ln 2 / half-life (so a steady stream of r per second converges to r),
        // decayed from the bucket's start.
        let withBucket = rate + Double(bucketCount) * Self.ln2 / (halfLifeMs / 1000)
        return withBucket * pow(2, -Double(max(nowMs - start, 0)) / halfLifeMs)
    }

    private static let ln2 = log(2.0)
}
