// Allocation: the center grants part of what it holds to regions, split over each region's units.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing

@Suite("Allocation")
struct AllocationTests {
    /// eu has three units, us two, ap one; af has none.
    static let layout = ["eu": ["eu-1", "eu-2", "eu-3"], "us": ["us-1", "us-2"], "ap": ["ap-1"], "af": []]

    @Test("counts are split evenly over a region's units, the first unit ids taking the remainder")
    func countsSplitEvenly() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 100))
            let version = try await center.version()

            let status = try await center.allocate("s1", AllocationSpec(counts: ["eu": 11, "us": 5]))
            #expect(status.allocations == ["eu-1": 4, "eu-2": 4, "eu-3": 3, "us-1": 3, "us-2": 2])
            #expect(status.atCenter == 84)
            #expect(status.minted == 100)
            #expect(status.unit("eu-1")?.rightsHeld == 4)
            #expect(status.unit("eu-1")?.region == "eu")
            #expect(status.unit("ap-1")?.allocated == 0)
            #expect(try await center.status("s1") == status)
            #expect(try await center.version() == version + 1)

            // The grants reach the units through the center's row in the config.
            let row = try #require(try await center.config().sales.first?.centerRow)
            #expect(row.minted == 100)
            #expect(row.grantedTo == ["eu-1": 4, "eu-2": 4, "eu-3": 3, "us-1": 3, "us-2": 2])

            // A second allocation adds to the first.
            let more = try await center.allocate("s1", AllocationSpec(counts: ["eu": 1, "ap": 7]))
            #expect(more.allocations == ["eu-1": 5, "eu-2": 4, "eu-3": 3, "us-1": 3, "us-2": 2, "ap-1": 7])
            #expect(more.atCenter == 76)
        }
    }

    @Test("percentages 50/30/20 of 10 hand out 5, 3 and 2")
    func percentagesExact() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            let status = try await center.allocate("s1", AllocationSpec(percentages: ["eu": 50, "us": 30, "ap": 20]))
            // eu 5 over three units, us 3 over two, ap 2.
            #expect(status.allocations == ["eu-1": 2, "eu-2": 2, "eu-3": 1, "us-1": 2, "us-2": 1, "ap-1": 2])
            #expect(status.atCenter == 0)
        }
    }

    @Test("percentages 33/34/33 of 10: the unit lost to rounding goes to the largest remainder")
    func percentagesLargestRemainder() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            let status = try await center.allocate("s1", AllocationSpec(percentages: ["ap": 33, "eu": 33, "us": 34]))
            // 3.3, 3.3, 3.4: us takes the 10th unit.
            #expect(status.allocations == ["ap-1": 3, "eu-1": 1, "eu-2": 1, "eu-3": 1, "us-1": 2, "us-2": 2])
            #expect(status.atCenter == 0)
        }
    }

    @Test("percentages with equal remainders: ties go by region id")
    func percentagesTies() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            // 2.5 and 2.5 and 5: one unit left over, eu comes before us.
            let status = try await center.allocate("s1", AllocationSpec(percentages: ["us": 25, "eu": 25, "ap": 50]))
            #expect(status.allocations == ["ap-1": 5, "eu-1": 1, "eu-2": 1, "eu-3": 1, "us-1": 1, "us-2": 1])
            #expect(status.atCenter == 0)
        }
    }

    @Test("percentages are of what the center still holds, not of the stock")
    func percentagesOfWhatIsLeft() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["ap": 40]))
            let status = try await center.allocate("s1", AllocationSpec(percentages: ["us": 50]))
            #expect(status.unit("us-1")?.allocated == 15)
            #expect(status.unit("us-2")?.allocated == 15)
            #expect(status.atCenter == 30)
            // Below 100% in total nothing is rounded up: 10% of 30 is exactly 3.
            let next = try await center.allocate("s1", AllocationSpec(percentages: ["ap": 10]))
            #expect(next.unit("ap-1")?.allocated == 43)
            #expect(next.atCenter == 27)
        }
    }

    @Test("asking for more than the center holds is refused with allocation-exceeds-stock; nothing is granted")
    func overStock() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            let problem = try await center.expectRefused(.allocationExceedsStock) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 6, "us": 5]))
            }
            #expect(problem.detail?.contains("11") == true)
            #expect(try await center.status("s1").atCenter == 10)

            // After a partial allocation, the limit is what is left.
            try await center.allocate("s1", AllocationSpec(counts: ["ap": 7]))
            try await center.expectRefused(.allocationExceedsStock) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 4]))
            }
            let status = try await center.status("s1")
            #expect(status.allocations == ["ap-1": 7])
            #expect(status.atCenter == 3)
        }
    }

    @Test(
        "an invalid allocation is refused with invalid-allocation",
        arguments: [
            AllocationSpec(percentages: ["eu": 60, "us": 41]),
            AllocationSpec(percentages: ["eu": 101]),
            AllocationSpec(percentages: ["eu": 0]),
            AllocationSpec(percentages: ["eu": -10, "us": 50]),
            AllocationSpec(counts: ["eu": -1]),
            AllocationSpec(counts: [:]),
            AllocationSpec(percentages: [:]),
        ])
    func invalidAllocation(spec: AllocationSpec) async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            try await center.expectRefused(.invalidAllocation) {
                try await center.post("/v1/sales/s1/allocations", spec)
            }
            #expect(try await center.status("s1").atCenter == 10)
        }
    }

    @Test("both counts and percentages, or neither, is refused with invalid-input")
    func countsAndPercentages() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 1], percentages: ["us": 10]))
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec())
            }
            #expect(try await center.status("s1").atCenter == 10)
        }
    }

    @Test("a region without units is refused with region-without-units, even beside a valid region")
    func regionWithoutUnits() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            let problem = try await center.expectRefused(.regionWithoutUnits) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 3, "af": 2]))
            }
            #expect(problem.detail == "region 'af' has no units")
            try await center.expectRefused(.regionWithoutUnits) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(percentages: ["af": 50]))
            }
            #expect(try await center.status("s1").allocations.isEmpty)
        }
    }

    @Test("an unknown region is refused with unknown-region")
    func unknownRegion() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            try await center.expectRefused(.unknownRegion) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 3, "mars": 2]))
            }
        }
    }

    @Test("allocating an ended sale is refused with 409 conflict")
    func endedSale() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10, startsAt: Fixed.at(-60), endsAt: Fixed.at(60)))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 3]))
            center.clock.advance(seconds: 60)
            #expect(try await center.status("s1").state == "ended")
            let problem = try await center.expectRefused(.conflict) {
                try await center.post("/v1/sales/s1/allocations", AllocationSpec(counts: ["eu": 3]))
            }
            #expect(problem.detail == "sale 's1' has ended")
            #expect(try await center.status("s1").atCenter == 7)
        }
    }

    @Test("a scheduled sale can be allocated before it opens")
    func scheduledSale() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10, startsAt: Fixed.at(600), endsAt: Fixed.at(1200)))
            let status = try await center.allocate("s1", AllocationSpec(counts: ["ap": 10]))
            #expect(status.state == "scheduled")
            #expect(status.allocations == ["ap-1": 10])
        }
    }

    @Test("an allocation of zero changes nothing and does not raise the version")
    func zeroAllocation() async throws {
        try await withCenter { center in
            try await center.addCluster(Self.layout)
            try await center.createSale(saleSpec(stock: 10))
            let before = try await center.snapshot()
            let status = try await center.allocate("s1", AllocationSpec(counts: ["eu": 0]))
            #expect(status.atCenter == 10)
            #expect(try await center.snapshot() == before)
        }
    }
}

@Suite("Allocation amounts near Int64.max")
struct AllocationOverflowTests {
    @Test("counts whose sum overflows Int64 are refused, not a crash of the config-center")
    func countsOverflow() async {
        // Control: a sum of exactly Int64.max is answered (allocation-exceeds-stock).
        await expectSurvives([
            ["POST", "/v1/sales/s1/allocations", #"{"counts":{"eu":9223372036854775806,"us":1}}"#],
            ["GET", "/v1/sales/s1/status"],
        ])
        await expectSurvives([
            ["POST", "/v1/sales/s1/allocations", #"{"counts":{"eu":9223372036854775807,"us":1}}"#],
            ["GET", "/v1/sales/s1/status"],
        ])
    }

    @Test("percentages whose sum overflows Int are refused, not a crash of the config-center")
    func percentagesOverflow() async {
        // Control: a sum of exactly Int.max is answered (invalid-allocation).
        await expectSurvives([
            ["POST", "/v1/sales/s1/allocations", #"{"percentages":{"eu":9223372036854775806,"us":1}}"#],
            ["GET", "/v1/sales/s1/status"],
        ])
        await expectSurvives([
            ["POST", "/v1/sales/s1/allocations", #"{"percentages":{"eu":9223372036854775807,"us":1}}"#],
            ["GET", "/v1/sales/s1/status"],
        ])
    }

    @Test("apply with declared counts whose top-up sum overflows is refused, not a crash")
    func applyCountsOverflow() async {
        // eu-1 already holds 10, so eu's top-up is Int64.max - 10; us's is its whole count.
        func document(us: Int) -> String {
            #"{"sales":[{"sale":{"id":"s1","title":"Phone","stock":100,"startsAt":"2025-06-15T15:05:40Z","#
                + #""endsAt":"2025-06-15T16:06:40Z","perUserLimit":1},"#
                + #""allocation":{"counts":{"eu":9223372036854775807,"us":\#(us)}}}]}"#
        }
        // Control: a top-up of exactly Int64.max in total is answered (allocation-exceeds-stock).
        await expectSurvives([["POST", "/v1/apply", document(us: 10)], ["GET", "/v1/sales/s1/status"]])
        await expectSurvives([["POST", "/v1/apply", document(us: 11)], ["GET", "/v1/sales/s1/status"]])
    }
}
