// The services of this host as deploy/systemd installs them, broken through systemctl.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Units run as `flashsale-unit@ID.service` and the config-center as `config-center.service` (deploy/systemd).
/// Only services active on this host are struck: run herd, as root, on the host whose units the plan should break.
struct SystemdHost: FaultTarget {
    let name = "systemd services of this host"
    let units: [String]
    let regions: [String] = []
    let centerActive: Bool
    /// Runs systemctl with its arguments and returns what it printed (ProgramRun; a stand-in in tests).
    let systemctl: @Sendable ([String]) async throws(FaultFailure) -> String
    /// Why no fault can be applied at all (not root), or nil.
    let blocked: String?

    static let centerService = "config-center.service"
    static func unitService(_ id: String) -> String { "flashsale-unit@\(id).service" }
    /// Longest wait for a killed service to be seen dead, or a started one to be active again.
    static let settleLimit = Duration.seconds(20)

    /// The cluster's units whose service is active here (a template instance is "loaded" for any id, so loaded
    /// says nothing), and whether the config-center's is.
    static func discover(
        units candidates: [String], systemctlPath: String = "/usr/bin/systemctl", isRoot: Bool = geteuid() == 0
    ) async throws(FaultFailure) -> SystemdHost {
        guard FileManager.default.isExecutableFile(atPath: systemctlPath) else {
            throw FaultFailure(description: "no systemctl at \(systemctlPath): --systemd needs a host run by systemd")
        }
        return try await discover(units: candidates, isRoot: isRoot) { arguments throws(FaultFailure) in
            try await ProgramRun.output(systemctlPath, arguments, environment: ProcessInfo.processInfo.environment)
        }
    }

    /// The same, with `systemctl` run by the given function.
    static func discover(
        units candidates: [String], isRoot: Bool, systemctl: @escaping @Sendable ([String]) async throws(FaultFailure) -> String
    ) async throws(FaultFailure) -> SystemdHost {
        var active: [String] = []
        for id in candidates.sorted() where try await state(unitService(id), systemctl: systemctl).isActive {
            active.append(id)
        }
        return SystemdHost(
            units: active, centerActive: try await state(centerService, systemctl: systemctl).isActive,
            systemctl: systemctl, blocked: isRoot ? nil : "herd must run as root to signal and start systemd services")
    }

    /// A service's state and main process.
    struct State: Equatable {
        var active: String
        var mainPID: Int
        var isActive: Bool { active == "active" && mainPID > 0 }
    }

    static func state(
        _ service: String, systemctl: @Sendable ([String]) async throws(FaultFailure) -> String
    ) async throws(FaultFailure) -> State {
        let text = try await systemctl(["show", "--property=ActiveState", "--property=MainPID", service])
        var state = State(active: "", mainPID: 0)
        for line in text.split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "ActiveState" { state.active = pair[1] }
            if pair[0] == "MainPID" { state.mainPID = Int(pair[1]) ?? 0 }
        }
        return state
    }

    func refusal(_ kind: FaultKind) -> String? {
        if let blocked { return blocked }
        switch kind {
        case .clockJump: return "herd cannot step the clock of a systemd service (it can in a cluster it starts: --cluster)"
        case .cutRegion: return "herd cannot cut a host's network (it can in a cluster it starts: --cluster)"
        case .down: return "herd keeps a unit down only in a cluster it starts (--cluster): systemd would restart the service"
        case .pauseCenter: return centerActive ? nil : "\(Self.centerService) is not active on this host"
        case .kill, .pause: return units.isEmpty ? "no flashsale-unit@ service of the cluster is active on this host" : nil
        }
    }

    /// A kill is struck once the service's main process is gone (systemd may already be restarting it:
    /// `Restart=on-failure` after `RestartSec=1`); a pause once SIGSTOP went to the main process.
    func strike(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let service = fault.unit.map(Self.unitService) ?? Self.centerService
        switch fault.kind {
        case .kill:
            let before = try await Self.state(service, systemctl: systemctl)
            guard before.isActive else { throw FaultFailure(description: "\(service) is not active") }
            try await run(["kill", "--kill-whom=main", "--signal=SIGKILL", service])
            try await settle(service, "its main process \(before.mainPID) to die") { $0.mainPID != before.mainPID }
        case .pause, .pauseCenter: try await run(["kill", "--kill-whom=main", "--signal=SIGSTOP", service])
        case .clockJump, .cutRegion, .down: throw FaultFailure(description: refusal(fault.kind) ?? "")
        }
    }

    /// A killed service is started (only when herd killed it) and healed once active again (with `Type=exec` that is when it runs, shortly
    /// before it listens); a paused one continued.
    func heal(_ fault: FaultPlan.Fault, struck: Bool) async throws(FaultFailure) {
        let service = fault.unit.map(Self.unitService) ?? Self.centerService
        switch fault.kind {
        case .kill:
            guard struck else { return }  // herd did not kill it: it has nothing to start
            try await run(["start", service])
            try await settle(service, "it to be active again") { $0.isActive }
        case .pause, .pauseCenter: try await run(["kill", "--kill-whom=main", "--signal=SIGCONT", service])
        case .clockJump, .cutRegion, .down: throw FaultFailure(description: refusal(fault.kind) ?? "")
        }
    }

    private func settle(_ service: String, _ what: String, until done: (State) -> Bool) async throws(FaultFailure) {
        let deadline = ContinuousClock.now + Self.settleLimit
        while ContinuousClock.now < deadline {
            if done(try await Self.state(service, systemctl: systemctl)) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw FaultFailure(description: "\(service): waited \(Self.settleLimit) for \(what)")
    }

    private func run(_ arguments: [String]) async throws(FaultFailure) {
        _ = try await systemctl(arguments)
    }
}
