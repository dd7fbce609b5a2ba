// The systemd target against a stand-in systemctl (a Swift function, so the parallel test process spawns nothing):
// the services it finds active, the commands each fault sends, and the faults it refuses.

import Foundation
import Synchronization
import Testing

@testable import Herd

struct SystemdHostTests {
    /// A systemctl that logs every call and keeps a state per service: the services in `active` are active with a
    /// main pid of 100; a SIGKILL to one gives it a new main pid (as systemd's restart does), a start makes any active.
    final class FakeSystemctl: Sendable {
        let state: Mutex<(pids: [String: Int], calls: [String])>

        init(active: [String]) { state = Mutex((Dictionary(uniqueKeysWithValues: active.map { ($0, 100) }), [])) }

        var calls: [String] { state.withLock { $0.calls } }

        func run(_ arguments: [String]) -> String {
            let service = arguments.last ?? ""
            return state.withLock { state in
                state.calls.append(arguments.joined(separator: " "))
                switch arguments.first {
                case "show":
                    guard let pid = state.pids[service] else { return "ActiveState=inactive\nMainPID=0\n" }
                    return "ActiveState=active\nMainPID=\(pid)\n"
                case "kill" where arguments.contains("--signal=SIGKILL"):
                    state.pids[service, default: 0] += 1
                case "start":
                    if state.pids[service] == nil { state.pids[service] = 200 }
                default: break
                }
                return ""
            }
        }
    }

    static func host(_ fake: FakeSystemctl, units: [String], isRoot: Bool = true) async throws -> SystemdHost {
        try await SystemdHost.discover(units: units, isRoot: isRoot) { arguments throws(FaultFailure) in fake.run(arguments) }
    }

    @Test func onlyActiveServicesAreStruckWithTheRightCommands() async throws {
        let fake = FakeSystemctl(active: ["flashsale-unit@eu-west-1.service", "config-center.service"])
        let host = try await Self.host(fake, units: ["us-east-1", "eu-west-1"])
        #expect(host.units == ["eu-west-1"])
        #expect(host.refusal(.kill) == nil && host.refusal(.pauseCenter) == nil)
        #expect(host.refusal(.clockJump) != nil && host.refusal(.cutRegion) != nil)

        let kill = FaultPlan.Fault(kind: .kill, unit: "eu-west-1", atMilliseconds: 0, forMilliseconds: 500)
        let pause = FaultPlan.Fault(kind: .pauseCenter, unit: nil, atMilliseconds: 0, forMilliseconds: 500)
        try await host.strike(kill)
        try await host.heal(kill, struck: true)
        try await host.strike(pause)
        try await host.heal(pause, struck: true)
        #expect(fake.calls.filter { !$0.hasPrefix("show") } == [
            "kill --kill-whom=main --signal=SIGKILL flashsale-unit@eu-west-1.service", "start flashsale-unit@eu-west-1.service",
            "kill --kill-whom=main --signal=SIGSTOP config-center.service",
            "kill --kill-whom=main --signal=SIGCONT config-center.service",
        ])
        // A unit of the cluster that does not run here is never struck, and a kill that was not struck starts nothing.
        let elsewhere = FaultPlan.Fault(kind: .kill, unit: "us-east-1", atMilliseconds: 0, forMilliseconds: 500)
        await #expect(throws: FaultFailure.self) { try await host.strike(elsewhere) }
        try await host.heal(elsewhere, struck: false)
        #expect(!fake.calls.contains("start flashsale-unit@us-east-1.service"))
    }

    @Test func aHostWithoutTheClustersServicesRefusesEveryFault() async throws {
        let fake = FakeSystemctl(active: [])
        let host = try await Self.host(fake, units: ["eu-west-1"])
        for kind in FaultKind.allCases { #expect(host.refusal(kind) != nil, "\(kind)") }
        let notRoot = try await Self.host(FakeSystemctl(active: ["flashsale-unit@eu-west-1.service"]), units: ["eu-west-1"], isRoot: false)
        #expect(notRoot.refusal(.kill)?.contains("root") == true)
        await #expect(throws: FaultFailure.self) {
            try await SystemdHost.discover(units: [], systemctlPath: "/nonexistent/systemctl")
        }
    }
}
