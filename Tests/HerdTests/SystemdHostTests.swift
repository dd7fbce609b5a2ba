// The systemd target against a stand-in systemctl that records its calls: the services it finds loaded, the
// commands each fault sends, and the faults it refuses.

import Foundation
import Testing

@testable import Herd

struct SystemdHostTests {
    /// A systemctl that answers `show` with "loaded" for the services listed in `loaded` and logs every call.
    static func fakeSystemctl(loaded: [String]) throws -> (path: String, log: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("systemctl-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("calls").path
        let script = """
            #!/bin/sh
            echo "$*" >> '\(log)'
            if [ "$1" = show ]; then
                case " \(loaded.joined(separator: " ")) " in *" $4 "*) echo loaded ;; *) echo not-found ;; esac
            fi
            exit 0
            """
        let path = folder.appendingPathComponent("systemctl").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, log, folder)
    }

    @Test func onlyLoadedServicesAreStruckWithTheRightCommands() async throws {
        let fake = try Self.fakeSystemctl(loaded: ["flashsale-unit@eu-west-1.service", "config-center.service"])
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let host = try await SystemdHost.discover(units: ["us-east-1", "eu-west-1"], systemctl: fake.path)
        #expect(host.units == ["eu-west-1"])
        #expect(host.refusal(.kill) == nil && host.refusal(.pauseCenter) == nil)
        #expect(host.refusal(.clockJump) != nil && host.refusal(.cutRegion) != nil)

        let kill = FaultPlan.Fault(kind: .kill, unit: "eu-west-1", atMilliseconds: 0, forMilliseconds: 500)
        let pause = FaultPlan.Fault(kind: .pauseCenter, unit: nil, atMilliseconds: 0, forMilliseconds: 500)
        try await host.strike(kill)
        try await host.heal(kill)
        try await host.strike(pause)
        try await host.heal(pause)
        let calls = try String(contentsOfFile: fake.log, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("show") }
        #expect(calls == [
            "kill --signal=SIGKILL flashsale-unit@eu-west-1.service", "start flashsale-unit@eu-west-1.service",
            "kill --signal=SIGSTOP config-center.service", "kill --signal=SIGCONT config-center.service",
        ])
    }

    @Test func aHostWithoutTheClustersServicesRefusesEveryFault() async throws {
        let fake = try Self.fakeSystemctl(loaded: [])
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let host = try await SystemdHost.discover(units: ["eu-west-1"], systemctl: fake.path)
        for kind in FaultKind.allCases { #expect(host.refusal(kind) != nil, "\(kind)") }
        await #expect(throws: FaultFailure.self) { try await SystemdHost.discover(units: [], systemctl: "/nonexistent/systemctl") }
    }
}
