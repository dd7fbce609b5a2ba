// Who may not reach whom while regions are cut off.

import Testing

@testable import Herd

struct RegionCutTests {
    static let processes: [String: RegionCut.Process] = [
        "": .init(region: nil, address: "127.0.0.1:7000"),
        "eu-1": .init(region: "eu", address: "127.0.0.1:8101"),
        "eu-2": .init(region: "eu", address: "127.0.0.1:8102"),
        "us-1": .init(region: "us", address: "127.0.0.1:8201"),
        "ap-1": .init(region: "ap", address: "127.0.0.1:8301"),
    ]

    @Test func aCutRegionReachesOnlyItselfAndNobodyReachesIt() {
        let cut: Set<String> = ["eu"]
        #expect(RegionCut.unreachable(from: "eu-1", processes: Self.processes, cut: cut) == [
            "127.0.0.1:7000", "127.0.0.1:8201", "127.0.0.1:8301",
        ])
        #expect(RegionCut.unreachable(from: "", processes: Self.processes, cut: cut) == ["127.0.0.1:8101", "127.0.0.1:8102"])
        #expect(RegionCut.unreachable(from: "us-1", processes: Self.processes, cut: cut) == ["127.0.0.1:8101", "127.0.0.1:8102"])
        #expect(RegionCut.unreachable(from: "eu-2", processes: Self.processes, cut: []) == [])
    }

    @Test func twoCutRegionsAreCutFromEachOtherToo() {
        let cut: Set<String> = ["eu", "us"]
        #expect(RegionCut.unreachable(from: "us-1", processes: Self.processes, cut: cut) == [
            "127.0.0.1:7000", "127.0.0.1:8101", "127.0.0.1:8102", "127.0.0.1:8301",
        ])
        #expect(RegionCut.unreachable(from: "ap-1", processes: Self.processes, cut: cut) == [
            "127.0.0.1:8101", "127.0.0.1:8102", "127.0.0.1:8201",
        ])
        #expect(RegionCut.unreachable(from: "eu-1", processes: Self.processes, cut: cut).contains("127.0.0.1:8102") == false)
    }
}
