// The unit runs one event loop per CPU it may run on: the affinity mask read from /proc, and when it applies.

@testable import FlashSaleAPI
import Testing

@Suite struct CPUAffinityTests {
    @Test func theMaskOfAStatusTextIsCounted() {
        let status = "Name:\tflashsale-unit\nCpus_allowed:\t00000000,00000005\nCpus_allowed_list:\t0,2\n"
        #expect(CPUAffinity.cpus(inStatus: status) == 2)
        #expect(CPUAffinity.cpus(inStatus: "Cpus_allowed:\tff\n") == 8)
        #expect(CPUAffinity.cpus(inStatus: "Cpus_allowed:\tffffffff,ffffffff\n") == 64)
    }

    @Test func aStatusWithoutAReadableMaskCountsNothing() {
        #expect(CPUAffinity.cpus(inStatus: "Name:\tx\n") == nil)
        #expect(CPUAffinity.cpus(inStatus: "Cpus_allowed:\tzz\n") == nil)
        #expect(CPUAffinity.cpus(inStatus: "Cpus_allowed:\t0\n") == nil)
    }

    @Test func loopsFollowTheMaskOnlyWhenItIsNarrowerAndTheOperatorSetNone() {
        #expect(CPUAffinity.eventLoops(coreCount: 2, environment: [:], cpus: 1) == 1)
        #expect(CPUAffinity.eventLoops(coreCount: 2, environment: [:], cpus: 2) == nil, "SwiftNIO's default already")
        #expect(CPUAffinity.eventLoops(coreCount: 2, environment: [:], cpus: nil) == nil)
        #expect(CPUAffinity.eventLoops(coreCount: 4, environment: ["NIO_SINGLETON_GROUP_LOOP_COUNT": "3"], cpus: 1) == nil)
    }

    @Test func thisProcessHasAMask() {
        #if os(Linux)
        #expect((CPUAffinity.count() ?? 0) >= 1)
        #endif
    }
}
