// The systemd target against a stand-in systemctl that records its calls: the services it finds active, the
// commands each fault sends, and the faults it refuses.

import Foundation
import Testing

@testable import Herd

struct SystemdHostTests {
    /// A systemctl that logs every call and keeps a state per service: the services in `active` are active with a
    /// main pid of 100; a SIGKILL to one gives it a new main pid (as systemd's restart does), a start makes any active.
    static func fakeSystemctl(active: [String]) throws -> (path: String, log: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("systemctl-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for service in active { try Data("100".utf8).write(to: folder.appendingPathComponent(service)) }
        let log = folder.appendingPathComponent("calls").path
        let script = """
            #!/bin/sh
            echo "$*" >> '\(log)'
            state='\(folder.path)'
            for last; do :; done
            case "$1" in
                show) if [ -f "$state/$last" ]; then echo ActiveState=active; echo "MainPID=$(cat "$state/$last")";
                      else echo ActiveState=inactive; echo MainPID=0; fi ;;
                kill) case "$*" in *SIGKILL*) echo $(( $(cat "$state/$last") + 1 )) > "$state/$last" ;; esac ;;
                start) [ -f "$state/$last" ] || echo 200 > "$state/$last" ;;
            esac
            exit 0
            """
        let path = folder.appendingPathComponent("systemctl").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, log, folder)
    }

    @Test func onlyActiveServicesAreStruckWithTheRightCommands() async throws {
        let fake = try Self.fakeSystemctl(active: ["flashsale-unit@eu-west-1.service", "config-center.service"])
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let host = try await SystemdHost.discover(units: ["us-east-1", "eu-west-1"], systemctl: fake.path, isRoot: true)
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
            "kill --kill-whom=main --signal=SIGKILL flashsale-unit@eu-west-1.service", "start flashsale-unit@eu-west-1.service",
            "kill --kill-whom=main --signal=SIGSTOP config-center.service",
            "kill --kill-whom=main --signal=SIGCONT config-center.service",
        ])
        // A unit of the cluster that does not run here is never struck.
        let elsewhere = FaultPlan.Fault(kind: .kill, unit: "us-east-1", atMilliseconds: 0, forMilliseconds: 500)
        await #expect(throws: FaultFailure.self) { try await host.strike(elsewhere) }
    }

    @Test func aHostWithoutTheClustersServicesRefusesEveryFault() async throws {
        let fake = try Self.fakeSystemctl(active: [])
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let host = try await SystemdHost.discover(units: ["eu-west-1"], systemctl: fake.path, isRoot: true)
        for kind in FaultKind.allCases { #expect(host.refusal(kind) != nil, "\(kind)") }
        let notRoot = try await SystemdHost.discover(units: ["eu-west-1"], systemctl: fake.path, isRoot: false)
        #expect(notRoot.refusal(.kill)?.contains("root") == true)
        await #expect(throws: FaultFailure.self) { try await SystemdHost.discover(units: [], systemctl: "/nonexistent/systemctl") }
    }
}
