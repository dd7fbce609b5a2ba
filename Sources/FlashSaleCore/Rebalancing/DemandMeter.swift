// A smoothed rate of purchase attempts, the demand signal the rebalancer follows.

import Foundation

/// An exponentially weighted moving average of events per second with a fixed half-life. The caller passes
/// the time; the meter reads no clock.
public struct DemandMeter: Sendable, Hashable {
    public let halfLifeMs: Double
    private var rate: Double = 0
    private var lastMs: Int64?

    public init(halfLifeMs: Double = 1_000) {
        precondition(halfLifeMs > 0)
        self.halfLifeMs = halfLifeMs
    }

    /// Records `count` attempts seen at `nowMs`.
    public mutating func record(_ count: Int = 1, atMs nowMs: Int64) {
        decay(to: nowMs)
        // An impulse of `count` events spread over the meter's time constant.
        rate += Double(count) * Self.ln2 / (halfLifeMs / 1000)
    }

    /// The rate at `nowMs`, in events per second.
    public func rate(atMs nowMs: Int64) -> Double {
        guard let lastMs, nowMs > lastMs else { return rate }
        return rate * Self.decayFactor(elapsedMs: Double(nowMs - lastMs), halfLifeMs: halfLifeMs)
    }

    private mutating func decay(to nowMs: Int64) {
        rate = rate(atMs: nowMs)
        lastMs = max(lastMs ?? nowMs, nowMs)
    }

    private static let ln2 = log(2.0)

    private static func decayFactor(elapsedMs: Double, halfLifeMs: Double) -> Double {
        pow(2, -elapsedMs / halfLifeMs)
    }
}
