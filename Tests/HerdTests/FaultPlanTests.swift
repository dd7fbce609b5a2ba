// The fault plan: drawn from a seed, inside its span, one fault at a time per process, and parsed strictly.

import Testing

@testable import Herd

struct FaultPlanTests {
    static let units = ["ap-south-1", "eu-west-1", "eu-west-2", "us-east-1"]

    @Test func theSameSeedGivesTheSamePlanAndAnotherSeedAnother() throws {
        let counts: [FaultKind: Int] = [.kill: 2, .pause: 2, .pauseCenter: 1]
        let a = try FaultPlan(counts: counts, seed: 7, spanMilliseconds: 3_000, units: Self.units)
        let b = try FaultPlan(counts: counts, seed: 7, spanMilliseconds: 3_000, units: Self.units.reversed())
        let c = try FaultPlan(counts: counts, seed: 8, spanMilliseconds: 3_000, units: Self.units)
        #expect(a == b, "the order units are listed in does not change the plan")
        #expect(a != c)
        #expect(a.faults.count == 5)
        #expect(a.faults.filter { $0.kind == .kill }.count == 2)
        #expect(a.faults.filter { $0.kind == .pauseCenter }.allSatisfy { $0.unit == nil && $0.targetName == "config-center" })
        #expect(a.faults.filter { $0.kind != .pauseCenter }.allSatisfy { $0.unit.map(Self.units.contains) == true })
    }

    /// `down` keeps a unit down past the config-center's retirement span, and only a unit whose region has another
    /// unit to take its buyers over; a cluster without one is told so.
    @Test func downStrikesOnlyUnitsWithARegionalPeerAndLastsPastRetirement() throws {
        let regions = ["ap-south-1": "ap-south", "eu-west-1": "eu-west", "eu-west-2": "eu-west", "us-east-1": "us-east"]
        for seed in UInt64(0)..<100 {
            let plan = try FaultPlan(
                counts: [.down: 2, .kill: 1], seed: seed, spanMilliseconds: 1_000, units: Self.units, regionOfUnit: regions)
            for fault in plan.faults where fault.kind == .down {
                #expect(["eu-west-1", "eu-west-2"].contains(fault.unit ?? ""), "seed \(seed): \(fault.targetName)")
                #expect(FaultPlan.downMilliseconds.contains(fault.forMilliseconds))
            }
        }
        #expect(throws: FaultPlan.Invalid.self) {
            try FaultPlan(counts: [.down: 1], seed: 1, spanMilliseconds: 1_000, units: ["a-1", "b-1"], regionOfUnit: ["a-1": "a", "b-1": "b"])
        }
    }

    @Test func faultsStartInTheSpanLastTheirBoundsAndNeverOverlapOnOneProcess() throws {
        for seed in UInt64(0)..<300 {
            let plan = try FaultPlan(
                counts: [.kill: 3, .pause: 3, .pauseCenter: 2], seed: seed, spanMilliseconds: 2_000, units: ["u1", "u2"])
            #expect(plan.faults.map(\.atMilliseconds) == plan.faults.map(\.atMilliseconds).sorted())
            for fault in plan.faults {
                #expect(fault.atMilliseconds >= FaultPlan.firstMilliseconds)
                #expect(FaultPlan.durationMilliseconds.contains(fault.forMilliseconds))
            }
            // Eight faults on three processes: some wait for the one before to end, none overlaps it.
            for target in Set(plan.faults.map(\.targetName)) {
                let own = plan.faults.filter { $0.targetName == target }
                for (earlier, later) in zip(own, own.dropFirst()) {
                    #expect(
                        earlier.atMilliseconds + earlier.forMilliseconds + FaultPlan.gapMilliseconds <= later.atMilliseconds,
                        "seed \(seed): \(target) struck again before it healed")
                }
            }
            // A fault starts within the span, or right when the fault before it on its target has ended.
            for (index, fault) in plan.faults.enumerated() where fault.atMilliseconds > 2_000 {
                let waitedFor = plan.faults[..<index].contains { earlier in
                    earlier.targetName == fault.targetName
                        && earlier.atMilliseconds + earlier.forMilliseconds + FaultPlan.gapMilliseconds == fault.atMilliseconds
                }
                #expect(waitedFor, "seed \(seed): \(fault) starts after the span for no reason")
            }
        }
    }

    @Test func clockJumpsStepEitherWayByTheirBoundsAndOtherFaultsNot() throws {
        var signs: Set<Bool> = []
        for seed in UInt64(0)..<50 {
            let plan = try FaultPlan(counts: [.clockJump: 2, .kill: 1], seed: seed, spanMilliseconds: 3_000, units: Self.units)
            for fault in plan.faults {
                if fault.kind == .clockJump {
                    let step = try #require(fault.clockStepSeconds)
                    #expect(FaultPlan.clockStepSeconds.contains(abs(step)))
                    signs.insert(step > 0)
                    #expect(fault.label == "clock-jump \(step > 0 ? "+" : "")\(step) s")
                } else {
                    #expect(fault.clockStepSeconds == nil && fault.label == "kill")
                }
            }
        }
        #expect(signs == [true, false], "clocks step ahead and back")
    }

    @Test func regionsAreCutAndNothingElseIs() throws {
        let plan = try FaultPlan(
            counts: [.cutRegion: 3, .pause: 1], seed: 9, spanMilliseconds: 2_000, units: Self.units,
            regions: ["eu-west", "us-east"])
        let cuts = plan.faults.filter { $0.kind == .cutRegion }
        #expect(cuts.count == 3)
        #expect(cuts.allSatisfy { $0.unit == nil && ["eu-west", "us-east"].contains($0.region ?? "") && $0.targetName == $0.region })
        #expect(plan.faults.filter { $0.kind == .pause }.allSatisfy { $0.region == nil && $0.unit != nil })
        #expect(throws: FaultPlan.Invalid.self) {
            try FaultPlan(counts: [.cutRegion: 1], seed: 1, spanMilliseconds: 1_000, units: Self.units, regions: [])
        }
    }

    @Test func aClusterWithoutUnitsCanOnlyPauseItsCenter() throws {
        #expect(throws: FaultPlan.Invalid.self) { try FaultPlan(counts: [.kill: 1], seed: 1, spanMilliseconds: 1_000, units: []) }
        let plan = try FaultPlan(counts: [.pauseCenter: 2], seed: 1, spanMilliseconds: 1_000, units: [])
        #expect(plan.faults.count == 2)
    }

    @Test func theListIsParsedStrictly() throws {
        #expect(try FaultKind.parseList("kill") == [.kill: 1])
        #expect(try FaultKind.parseList("kill=2, pause ,pause-center=10,clock-jump,cut-region") == [
            .kill: 2, .pause: 1, .pauseCenter: 10, .clockJump: 1, .cutRegion: 1,
        ])
        for bad in ["", ",", "=", "kill=", "=2", "explode", "kill=0", "kill=11", "kill=x", "kill,kill", "kill=2=3", "Kill"] {
            #expect(throws: FaultPlan.Invalid.self, "\(bad)") { try FaultKind.parseList(bad) }
        }
    }
}
