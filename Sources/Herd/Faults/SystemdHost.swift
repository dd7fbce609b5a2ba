// The services of this host as deploy/systemd installs them, broken through systemctl.

import Foundation

/// Units run as `flashsale-unit@ID.service` and the config-center as `config-center.service` (deploy/systemd).
/// Only services loaded on this host are struck: run herd on the host whose units the plan should break.
struct SystemdHost: FaultTarget {
    let name = "systemd services of this host"
    let units: [String]
    let regions: [String] = []
    let centerLoaded: Bool
    let systemctl: String

    static let centerService = "config-center.service"
    static func unitService(_ id: String) -> String { "flashsale-unit@\(id).service" }

    /// The cluster's units whose service is loaded here, and whether the config-center's is.
    static func discover(units candidates: [String], systemctl: String = "/usr/bin/systemctl") async throws(FaultFailure) -> SystemdHost {
        guard FileManager.default.isExecutableFile(atPath: systemctl) else {
            throw FaultFailure(description: "no systemctl at \(systemctl): --systemd needs a host run by systemd")
        }
        var loaded: [String] = []
        for id in candidates.sorted() where try await isLoaded(unitService(id), systemctl: systemctl) {
            loaded.append(id)
        }
        return SystemdHost(units: loaded, centerLoaded: try await isLoaded(centerService, systemctl: systemctl), systemctl: systemctl)
    }

    private static func isLoaded(_ service: String, systemctl: String) async throws(FaultFailure) -> Bool {
        let state = try await ProgramRun.output(
            systemctl, ["show", "--property=LoadState", "--value", service], environment: ProcessInfo.processInfo.environment)
        return state.trimmingCharacters(in: .whitespacesAndNewlines) == "loaded"
    }

    func refusal(_ kind: FaultKind) -> String? {
        switch kind {
        case .clockJump: "herd cannot step the clock of a systemd service (it can in a cluster it starts: --cluster)"
        case .cutRegion: "herd cannot cut a host's network (it can in a cluster it starts: --cluster)"
        case .pauseCenter where !centerLoaded: "\(Self.centerService) is not loaded on this host"
        case .kill where units.isEmpty, .pause where units.isEmpty: "no flashsale-unit@ service of the cluster is loaded on this host"
        default: nil
        }
    }

    func strike(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let service = fault.unit.map(Self.unitService) ?? Self.centerService
        switch fault.kind {
        case .kill: try await run(["kill", "--signal=SIGKILL", service])
        case .pause, .pauseCenter: try await run(["kill", "--signal=SIGSTOP", service])
        case .clockJump, .cutRegion: throw FaultFailure(description: refusal(fault.kind) ?? "")
        }
    }

    /// A killed service is started (systemd may have restarted it already: `Restart=on-failure`, then this does
    /// nothing); a paused one continued.
    func heal(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let service = fault.unit.map(Self.unitService) ?? Self.centerService
        switch fault.kind {
        case .kill: try await run(["start", service])
        case .pause, .pauseCenter: try await run(["kill", "--signal=SIGCONT", service])
        case .clockJump, .cutRegion: throw FaultFailure(description: refusal(fault.kind) ?? "")
        }
    }

    private func run(_ arguments: [String]) async throws(FaultFailure) {
        _ = try await ProgramRun.output(systemctl, arguments, environment: ProcessInfo.processInfo.environment)
    }
}
