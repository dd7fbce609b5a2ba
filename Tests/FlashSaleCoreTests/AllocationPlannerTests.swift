// AllocationPlanner: counts, percentages by largest remainder, splitting over units, errors and top-ups.

import FlashSaleCore
import Testing
import TestSupport

@Suite("AllocationPlanner")
struct AllocationPlannerTests {
    /// Units given out of order on purpose: the planner sorts them by id.
    let planner = AllocationPlanner(unitsByRegion: [
        "eu": ["eu-2", "eu-1"],
        "us": ["us-3", "us-1", "us-2"],
        "ap": ["ap-1"],
        "void": [],
    ])

    @Test("the planner keeps each region's units sorted by id")
    func unitsSorted() {
        #expect(planner.unitsByRegion["eu"] == ["eu-1", "eu-2"])
        #expect(planner.unitsByRegion["us"] == ["us-1", "us-2", "us-3"])
    }

    // MARK: counts

    @Test("counts are split over each region's units, the first ids taking the remainder")
    func counts() throws {
        let grants = try planner.grants(for: .counts(["eu": 11, "us": 7, "ap": 3]), available: 100)
        #expect(grants == ["eu-1": 6, "eu-2": 5, "us-1": 3, "us-2": 2, "us-3": 2, "ap-1": 3])
        #expect(grants.values.reduce(0, +) == 21)
    }

    @Test("a zero count or a share of zero grants nothing to that unit")
    func zeroShares() throws {
        let grants = try planner.grants(for: .counts(["eu": 0, "us": 2]), available: 10)
        #expect(grants == ["us-1": 1, "us-2": 1])
        #expect(try planner.grants(for: .counts(["eu": 0]), available: 10) == [:])
    }

    @Test("counts may take exactly all the stock, not one more")
    func countsAtLimit() throws {
        #expect(try planner.grants(for: .counts(["eu": 60, "us": 40]), available: 100).values.reduce(0, +) == 100)
        #expect(throws: AllocationError.exceedsStock(requested: 101, available: 100)) {
            try planner.grants(for: .counts(["eu": 61, "us": 40]), available: 100)
        }
        #expect(throws: AllocationError.exceedsStock(requested: 1, available: 0)) {
            try planner.grants(for: .counts(["ap": 1]), available: 0)
        }
    }

    @Test("regionAmounts returns counts as given")
    func regionAmountsCounts() throws {
        #expect(try planner.regionAmounts(for: .counts(["eu": 5, "ap": 0]), available: 1) == ["eu": 5, "ap": 0])
    }

    // MARK: percentages

    @Test("percentages of what the center holds; remainders go to the largest fractions")
    func percentagesLargestRemainder() throws {
        // 33% of 10 = 3.3, 33% = 3.3, 34% = 3.4: the one unit lost to rounding goes to the 0.4.
        #expect(try planner.regionAmounts(for: .percentages(["eu": 33, "us": 33, "ap": 34]), available: 10)
            == ["eu": 3, "us": 3, "ap": 4])
        // 25% of 7 = 1.75, 75% = 5.25: the 0.75 gets the unit.
        #expect(try planner.regionAmounts(for: .percentages(["eu": 25, "us": 75]), available: 7) == ["eu": 2, "us": 5])
        // Equal fractions: ties go by region id.
        #expect(try planner.regionAmounts(for: .percentages(["us": 50, "eu": 50]), available: 101) == ["eu": 51, "us": 50])
        #expect(try planner.regionAmounts(for: .percentages(["us": 50, "ap": 50]), available: 101) == ["ap": 51, "us": 50])
        // 34% of 2 = 0.68 gets a unit; 0.66 and 0.66 tie for the other, and ap wins by id.
        #expect(try planner.regionAmounts(for: .percentages(["eu": 34, "us": 33, "ap": 33]), available: 2)
            == ["eu": 1, "us": 0, "ap": 1])
    }

    @Test("percentages then split over units")
    func percentagesToUnits() throws {
        let grants = try planner.grants(for: .percentages(["eu": 50, "us": 50]), available: 9)
        // eu: 4.5 -> 5 (tie by id), us: 4.5 -> 4
        #expect(grants == ["eu-1": 3, "eu-2": 2, "us-1": 2, "us-2": 1, "us-3": 1])
    }

    @Test("below 100% hands out the rounded-down shares only")
    func percentagesBelowHundred() throws {
        #expect(try planner.regionAmounts(for: .percentages(["eu": 30, "us": 25]), available: 7) == ["eu": 2, "us": 1])
        #expect(try planner.grants(for: .percentages(["ap": 1]), available: 99) == [:])
        #expect(try planner.grants(for: .percentages(["ap": 1]), available: 100) == ["ap-1": 1])
    }

    @Test("100% hands out everything exactly, each region within one unit of its exact share")
    func hundredPercentRandom() throws {
        var rng = SplitMix64(seed: 100)
        let regions = ["r-a", "r-b", "r-c", "r-d", "r-e"]
        let planner = AllocationPlanner(unitsByRegion: Dictionary(uniqueKeysWithValues: regions.map {
            ($0, [NodeID("\($0)-1"), NodeID("\($0)-2"), NodeID("\($0)-3")])
        }))
        for round in 0..<300 {
            let chosen = Array(rng.shuffled(regions).prefix(rng.int(1...regions.count)))
            // Random cut points of 0...100 make percentages that add up to exactly 100.
            var cuts = (0..<(chosen.count - 1)).map { _ in rng.int(0...100) }.sorted()
            cuts = [0] + cuts + [100]
            let percentages = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, cuts[$0 + 1] - cuts[$0]) })
            let available = rng.chance(10) ? rng.int64(0...3) : rng.int64(0...100_000)
            let amounts = try planner.regionAmounts(for: .percentages(percentages), available: available)
            #expect(amounts.values.reduce(0, +) == available, "round \(round) \(percentages) of \(available)")
            for (region, percent) in percentages {
                let floor = available * Int64(percent) / 100
                let amount = amounts[region] ?? -1
                #expect(amount == floor || amount == floor + 1, "round \(round) \(region)")
            }
            let grants = try planner.grants(for: .percentages(percentages), available: available)
            #expect(grants.values.reduce(0, +) == available, "round \(round)")
            #expect(grants.values.allSatisfy { $0 > 0 }, "round \(round)")
        }
    }

    // MARK: split

    @Test("split is as even as possible, earlier units taking the remainder")
    func split() {
        let units: [NodeID] = ["a", "b", "c"]
        func shares(_ amount: Int64) -> [Int64] { AllocationPlanner.split(amount, over: units).map(\.1) }
        #expect(AllocationPlanner.split(7, over: units).map(\.0) == units)
        #expect(shares(7) == [3, 2, 2])
        #expect(shares(8) == [3, 3, 2])
        #expect(shares(9) == [3, 3, 3])
        #expect(shares(2) == [1, 1, 0])
        #expect(shares(0) == [0, 0, 0])
        #expect(AllocationPlanner.split(5, over: []).isEmpty)
        #expect(AllocationPlanner.split(5, over: ["x"]).map(\.1) == [5])
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let count = rng.int(1...9)
            let some = (0..<count).map { NodeID("n-\($0)") }
            let amount = rng.int64(0...1_000)
            let parts = AllocationPlanner.split(amount, over: some).map(\.1)
            #expect(parts.reduce(0, +) == amount)
            #expect(parts == parts.sorted(by: >))
            #expect((parts.max() ?? 0) - (parts.min() ?? 0) <= 1)
        }
    }

    // MARK: errors

    @Test("empty requests are refused")
    func empty() {
        #expect(throws: AllocationError.empty) { try planner.grants(for: .counts([:]), available: 10) }
        #expect(throws: AllocationError.empty) { try planner.grants(for: .percentages([:]), available: 10) }
    }

    @Test("an unknown region is refused")
    func unknownRegion() {
        #expect(throws: AllocationError.unknownRegion("mars")) {
            try planner.grants(for: .counts(["eu": 1, "mars": 1]), available: 10)
        }
        #expect(throws: AllocationError.unknownRegion("mars")) {
            try planner.grants(for: .percentages(["mars": 100]), available: 10)
        }
        #expect(throws: AllocationError.unknownRegion("EU")) {
            try planner.grants(for: .counts(["EU": 1]), available: 10)
        }
    }

    @Test("a region without units is refused")
    func regionWithoutUnits() {
        #expect(throws: AllocationError.regionWithoutUnits("void")) {
            try planner.grants(for: .counts(["void": 1]), available: 10)
        }
        #expect(throws: AllocationError.regionWithoutUnits("void")) {
            try planner.grants(for: .counts(["void": 0]), available: 10)
        }
        #expect(throws: AllocationError.regionWithoutUnits("void")) {
            try planner.grants(for: .percentages(["void": 50, "eu": 50]), available: 10)
        }
    }

    @Test("negative counts and percentages are refused")
    func negativeAmount() {
        #expect(throws: AllocationError.negativeAmount(region: "us")) {
            try planner.grants(for: .counts(["eu": 5, "us": -1]), available: 10)
        }
        #expect(throws: AllocationError.negativeAmount(region: "us")) {
            try planner.grants(for: .percentages(["eu": 110, "us": -10]), available: 10)
        }
    }

    @Test("percentages must add up to 1-100", arguments: [
        (["eu": 0], 0),
        (["eu": 0, "us": 0], 0),
        (["eu": 101], 101),
        (["eu": 60, "us": 41], 101),
        (["eu": 100, "us": 100, "ap": 100], 300),
    ])
    func percentagesOutOfRange(percentages: [String: Int], total: Int) {
        #expect(throws: AllocationError.percentagesOutOfRange(total: total)) {
            try planner.grants(for: .percentages(percentages), available: 10)
        }
    }

    @Test("exactly 1% and exactly 100% are in range")
    func percentagesInRange() throws {
        #expect(try planner.regionAmounts(for: .percentages(["eu": 1]), available: 300) == ["eu": 3])
        #expect(try planner.regionAmounts(for: .percentages(["eu": 100]), available: 300) == ["eu": 300])
    }

    // MARK: top-up

    @Test("topUp grants only the difference between target and current")
    func topUp() throws {
        #expect(try planner.topUp(to: ["eu": 10, "us": 4], current: ["eu": 4]) == [
            "eu-1": 3, "eu-2": 3, "us-1": 2, "us-2": 1, "us-3": 1,
        ])
        // Applied twice: the second time grants nothing.
        #expect(try planner.topUp(to: ["eu": 10, "us": 4], current: ["eu": 10, "us": 4]) == [:])
        // Only the regions named in the targets are touched.
        #expect(try planner.topUp(to: ["ap": 2], current: ["eu": 100]) == ["ap-1": 2])
        #expect(try planner.topUp(to: [:], current: ["eu": 1]) == [:])
    }

    @Test("a unit added later shares only in new stock")
    func topUpNewUnit() throws {
        let before = AllocationPlanner(unitsByRegion: ["eu": ["eu-1", "eu-2"]])
        #expect(try before.topUp(to: ["eu": 10], current: [:]) == ["eu-1": 5, "eu-2": 5])
        let after = AllocationPlanner(unitsByRegion: ["eu": ["eu-1", "eu-2", "eu-3"]])
        #expect(try after.topUp(to: ["eu": 14], current: ["eu": 10]) == ["eu-1": 2, "eu-2": 1, "eu-3": 1])
    }

    @Test("a target below what a region already has is refused")
    func topUpBelowCurrent() {
        #expect(throws: AllocationError.belowCurrent(region: "eu", current: 4, target: 3)) {
            try planner.topUp(to: ["eu": 3], current: ["eu": 4])
        }
        #expect(throws: AllocationError.belowCurrent(region: "ap", current: 0, target: -1)) {
            try planner.topUp(to: ["ap": -1], current: [:])
        }
    }

    @Test("topUp refuses unknown regions and regions without units")
    func topUpRegionErrors() {
        #expect(throws: AllocationError.unknownRegion("mars")) { try planner.topUp(to: ["mars": 1], current: [:]) }
        #expect(throws: AllocationError.regionWithoutUnits("void")) { try planner.topUp(to: ["void": 1], current: [:]) }
    }
}
