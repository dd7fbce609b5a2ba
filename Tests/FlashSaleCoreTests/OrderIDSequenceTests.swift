// OrderIDSequence: strictly increasing ids whatever the clock does.

import FlashSaleCore
import Testing
import TestSupport

@Suite("OrderIDSequence")
struct OrderIDSequenceTests {
    static func id(_ ms: Int64, _ seq: Int64, unit: NodeID = "u-1") -> OrderID {
        OrderID(unit: unit, milliseconds: ms, sequence: seq)
    }

    @Test("a new millisecond starts at sequence 0")
    func advancingClock() {
        var sequence = OrderIDSequence(unit: "u-1")
        #expect(sequence.last == nil)
        #expect(sequence.next(nowMs: 1_000) == Self.id(1_000, 0))
        #expect(sequence.next(nowMs: 1_001) == Self.id(1_001, 0))
        #expect(sequence.next(nowMs: 5_000) == Self.id(5_000, 0))
        #expect(sequence.last == Self.id(5_000, 0))
    }

    @Test("a clock that stands still counts up the sequence")
    func stillClock() {
        var sequence = OrderIDSequence(unit: "u-1")
        let ids = (0..<5).map { _ in sequence.next(nowMs: 1_000) }
        #expect(ids == (0..<5).map { Self.id(1_000, Int64($0)) })
    }

    @Test("a clock that steps back keeps the last millisecond")
    func clockStepsBack() {
        var sequence = OrderIDSequence(unit: "u-1")
        #expect(sequence.next(nowMs: 1_000) == Self.id(1_000, 0))
        #expect(sequence.next(nowMs: 999) == Self.id(1_000, 1))
        #expect(sequence.next(nowMs: 0) == Self.id(1_000, 2))
        #expect(sequence.next(nowMs: 1_000) == Self.id(1_000, 3))
        #expect(sequence.next(nowMs: 1_001) == Self.id(1_001, 0))
    }

    @Test("resuming after the log's newest id continues after it")
    func resume() {
        var sequence = OrderIDSequence(unit: "u-1", resumingAfter: Self.id(2_000, 5))
        #expect(sequence.next(nowMs: 1_500) == Self.id(2_000, 6))
        #expect(sequence.next(nowMs: 2_000) == Self.id(2_000, 7))
        #expect(sequence.next(nowMs: 2_001) == Self.id(2_001, 0))
    }

    @Test("a clock before 1970 gives millisecond 0")
    func negativeClock() {
        var sequence = OrderIDSequence(unit: "u-1")
        #expect(sequence.next(nowMs: -5) == Self.id(0, 0))
        #expect(sequence.next(nowMs: -1) == Self.id(0, 1))
        #expect(sequence.next(nowMs: 3) == Self.id(3, 0))
    }

    @Test("random clocks: ids strictly increase, carry the unit, and parse back")
    func randomClock() throws {
        for seed in UInt64(1)...50 {
            var rng = SplitMix64(seed: seed)
            var sequence = OrderIDSequence(unit: "eu-west-1")
            var now: Int64 = rng.int64(0...10_000)
            var previous: OrderID?
            var highestClock: Int64 = .min
            for step in 0..<200 {
                switch rng.int(0...9) {
                case 0...3: break  // clock stands still
                case 4...6: now += rng.int64(1...5)
                default: now -= rng.int64(1...50)  // steps back
                }
                let id = sequence.next(nowMs: now)
                highestClock = max(highestClock, now)
                #expect(id.unit == "eu-west-1")
                if let previous { #expect(previous < id, "seed \(seed) step \(step)") }
                // Never ahead of the clock, never behind the highest reading so far.
                #expect(id.milliseconds == max(highestClock, 0), "seed \(seed) step \(step)")
                #expect(sequence.last == id)
                #expect(OrderID(id.description) == id)
                previous = id
            }
        }
    }
}
