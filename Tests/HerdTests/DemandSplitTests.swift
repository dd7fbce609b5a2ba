// The split of buyers between regions: parsing, exact counts, interleaving.

import Testing

@testable import Herd

struct DemandSplitTests {
    @Test func parsesWeightsAndPercentSigns() throws {
        let split = try DemandSplit(parsing: "eu-west=60, us-east=25%,ap-south=15")
        #expect(split.regions == ["eu-west", "us-east", "ap-south"])
        #expect(split.shares.map(\.weight) == [60, 25, 15])
    }

    @Test(arguments: ["", "eu-west", "eu-west=", "eu-west=x", "=5", "eu-west=0", "eu-west=-3", "a=1,a=2", "a=2000000"])
    func refusesWhatIsNotASplit(_ text: String) {
        #expect(throws: DemandSplit.Invalid.self) { try DemandSplit(parsing: text) }
    }

    @Test func countsAddUpExactlyAndStayWithinOneOfTheShare() throws {
        let split = try DemandSplit(parsing: "a=60,b=25,c=15")
        for buyers in [0, 1, 2, 3, 7, 100, 101, 999, 5_000] {
            let counts = split.counts(buyers: buyers)
            #expect(counts.values.reduce(0, +) == buyers)
            for share in split.shares {
                let exact = Double(buyers) * Double(share.weight) / 100
                #expect(abs(Double(counts[share.region] ?? 0) - exact) < 1, "\(buyers) buyers, \(share.region)")
            }
        }
        #expect(split.counts(buyers: 5_000) == ["a": 3_000, "b": 1_250, "c": 750])
    }

    @Test func remainderTiesGoToTheRegionNamedFirst() throws {
        #expect(try DemandSplit(parsing: "x=1,y=1,z=1").counts(buyers: 4) == ["x": 2, "y": 1, "z": 1])
        #expect(try DemandSplit(parsing: "z=1,y=1,x=1").counts(buyers: 4) == ["z": 2, "y": 1, "x": 1])
    }

    @Test func assignmentsMatchTheCountsAndInterleave() throws {
        let split = try DemandSplit(parsing: "a=60,b=40")
        let assigned = split.assignments(buyers: 10)
        #expect(assigned == ["a", "b", "a", "b", "a", "a", "b", "a", "b", "a"])
        let crowd = try DemandSplit(parsing: "eu=60,us=25,ap=15")
        let many = crowd.assignments(buyers: 1_001)
        #expect(Dictionary(many.map { ($0, 1) }, uniquingKeysWith: +) == crowd.counts(buyers: 1_001))
        // Every tenth of the crowd has close to the whole crowd's mix: no region waits for another to finish.
        for start in stride(from: 0, to: 1_000, by: 100) {
            let slice = many[start..<start + 100]
            #expect((55...65).contains(slice.filter { $0 == "eu" }.count))
            #expect((20...30).contains(slice.filter { $0 == "us" }.count))
        }
    }

    @Test func evenSplitGivesEveryRegionTheSame() throws {
        #expect(try DemandSplit.even(["a", "b", "c"]).counts(buyers: 9) == ["a": 3, "b": 3, "c": 3])
        #expect(throws: DemandSplit.Invalid.self) { try DemandSplit.even([]) }
    }
}
