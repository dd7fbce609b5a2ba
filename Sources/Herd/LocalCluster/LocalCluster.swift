// A cluster herd starts itself from a `--cluster` file: the config-center and units as real processes on
// loopback, which the fault plan can kill, restart and pause because herd holds their process ids.

import FlashSaleCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processes of one local cluster. Plain HTTP on loopback: the cluster lives for one rehearsal, its secrets
/// in a folder only this user reads. Every process is stopped by `stop()`, by process id.
actor LocalCluster: FaultTarget {
    nonisolated let name: String
    nonisolated let units: [String]
    nonisolated let regions: [String]
    nonisolated let centerURL: String
    nonisolated let credentialFile: String
    nonisolated let ordersCredentialFile: String
    private let file: LocalClusterFile
    private let bin: String
    /// The fault shim preloaded into every process (`clock-jump`, `cut-region`), or nil.
    private let shim: String?
    /// Regions cut off now.
    private var cut: Set<String> = []
    /// How each process is started, so a killed one starts again the same way on the same data.
    private var launches: [String: Launch] = [:]
    private var running: [String: Process] = [:]

    /// How a process is started; the key is its unit id, or "" for the config-center.
    struct Launch: Sendable {
        var program: String
        var arguments: [String]
        var log: String
        var address: LoopbackAddress
        /// Added to herd's own environment.
        var environment: [String: String] = [:]
    }

    /// Marks a folder herd made, the only kind it empties.
    static let marker = ".herd-cluster"
    /// Longest wait for a process to listen, or to exit after SIGKILL or SIGTERM.
    static let startLimit = Duration.seconds(20)
    static let stopLimit = Duration.seconds(10)

    private init(file: LocalClusterFile, path: String, bin: String, shim: String?) {
        self.file = file
        self.bin = bin
        self.shim = shim
        name = "local cluster from \(path)"
        units = file.units.map(\.id)
        regions = Set(file.units.map(\.region)).sorted()
        centerURL = "http://\(file.center)"
        credentialFile = file.folder + "/center/admin.credential"
        ordersCredentialFile = file.folder + "/orders.credential"
    }

    /// Starts the cluster: a fresh folder, secrets, the config-center, its regions and units enrolled, the units,
    /// then the cluster files of `apply`. With `shimmed` every process runs with the fault shim (`libFaultShim.so`
    /// from `bin`; Sources/FaultShim), which steps a unit's clock and cuts connections as herd writes to its files,
    /// and does nothing until then. On any failure what was started is stopped again.
    static func start(path: String, bin: String, shimmed: Bool) async throws(FaultFailure) -> LocalCluster {
        let file: LocalClusterFile
        do { file = try LocalClusterFile.load(path: path) } catch { throw FaultFailure(description: error.description) }
        for program in ["config-center", "flashsale-unit"] where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(program)") {
            throw FaultFailure(description: "no \(program) in \(bin) (build it, or name the folder with --bin)")
        }
        let shim = bin + "/libFaultShim.so"
        if shimmed, !FileManager.default.fileExists(atPath: shim) {
            throw FaultFailure(description: "clock-jump and cut-region need \(shim) (swift build --product FaultShim)")
        }
        let cluster = LocalCluster(file: file, path: path, bin: bin, shim: shimmed ? shim : nil)
        do {
            try await cluster.bringUp()
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    private func bringUp() async throws(FaultFailure) {
        try Self.freshFolder(file.folder)
        for secret in ["cluster-secret", "orders.credential", "payment-webhook.secret"] {
            try Self.writeSecret(file.folder + "/" + secret)
        }
        for sub in ["logs", "clocks", "net"] {
            try? FileManager.default.createDirectory(atPath: file.folder + "/" + sub, withIntermediateDirectories: true)
        }
        guard let centerAddress = LoopbackAddress(file.center) else { throw FaultFailure(description: "bad center address") }
        try await launch("", Launch(
            program: bin + "/config-center",
            arguments: ["serve", "--listen", file.center, "--data", file.folder + "/center",
                        "--cluster-secret-file", file.folder + "/cluster-secret", "--plain-http"],
            log: file.folder + "/logs/center.log", address: centerAddress, environment: try shimEnvironment("")))
        try await cli(["apply", try declaration()])
        for unit in file.units {
            let data = file.folder + "/units/" + unit.id
            let key = try await ProgramRun.output(bin + "/flashsale-unit", ["key", "--data", data], environment: environment)
            try await cli([
                "unit", "add", unit.id, "--region", unit.region, "--url", "http://\(unit.listen)",
                "--public-key", key.trimmingCharacters(in: .whitespacesAndNewlines),
            ])
            guard let address = LoopbackAddress(unit.listen) else { throw FaultFailure(description: "bad address \(unit.listen)") }
            var arguments = [
                "--id", unit.id, "--region", unit.region, "--listen", unit.listen, "--data", data,
                "--center", centerURL, "--cluster-secret-file", file.folder + "/cluster-secret",
                "--orders-credential-file", ordersCredentialFile,
                "--payment-webhook-secret-file", file.folder + "/payment-webhook.secret", "--plain-http",
            ]
            if let interval = file.gossipIntervalMs { arguments += ["--gossip-interval-ms", String(interval)] }
            try await launch(unit.id, Launch(
                program: bin + "/flashsale-unit", arguments: arguments, log: file.folder + "/logs/\(unit.id).log",
                address: address, environment: try shimEnvironment(unit.id)))
        }
        try await waitUntilSeen()
        for path in file.apply ?? [] { try await cli(["apply", path]) }
    }

    /// The regions and units of the file as a cluster file of the config-center's own format.
    private func declaration() throws(FaultFailure) -> String {
        let regions = Set(file.units.map(\.region)).sorted()
        var text = "regions:\n" + regions.map { "  - id: \($0)\n" }.joined() + "units:\n"
        text += file.units.map { "  - id: \($0.id)\n    region: \($0.region)\n" }.joined()
        let path = file.folder + "/cluster.yaml"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw FaultFailure(description: "cannot write \(path)")
        }
        return path
    }

    /// Waits for every unit's first signed heartbeat, so the sale is allocated to units the config-center knows.
    private func waitUntilSeen() async throws(FaultFailure) {
        let deadline = ContinuousClock.now + Self.startLimit
        while ContinuousClock.now < deadline {
            let list = try await cli(["unit", "list"])
            if !list.contains("never") { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
        throw FaultFailure(description: "units never reported to the config-center; see \(file.folder)/logs")
    }

    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["FLASHSALE_CENTER"] = centerURL
        environment["FLASHSALE_CREDENTIAL_FILE"] = credentialFile
        return environment
    }

    @discardableResult
    private func cli(_ arguments: [String]) async throws(FaultFailure) -> String {
        try await ProgramRun.output(bin + "/config-center", arguments, environment: environment)
    }

    // MARK: processes

    private func launch(_ key: String, _ launch: Launch) async throws(FaultFailure) {
        launches[key] = launch
        try await start(key)
    }

    /// Starts the process `key` as launched before, its output appended to its log, and waits until it listens.
    private func start(_ key: String) async throws(FaultFailure) {
        guard let launch = launches[key] else { throw FaultFailure(description: "no process '\(key)' in this cluster") }
        if !FileManager.default.fileExists(atPath: launch.log) {
            _ = FileManager.default.createFile(atPath: launch.log, contents: nil)
        }
        guard let log = FileHandle(forWritingAtPath: launch.log) else { throw FaultFailure(description: "cannot write \(launch.log)") }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launch.program)
        process.arguments = launch.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw FaultFailure(description: "cannot start \(launch.program): \(error)")
        }
        try? log.close()
        running[key] = process
        let deadline = ContinuousClock.now + Self.startLimit
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw FaultFailure(description: "\(Self.label(key)) exited (\(process.terminationStatus)) at start; see \(launch.log)")
            }
            if Self.listens(launch.address) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw FaultFailure(description: "\(Self.label(key)) did not listen on \(launch.address.host):\(launch.address.port); see \(launch.log)")
    }

    /// Sends `signal` to the process `key` (SIGCONT first for SIGTERM and SIGKILL, so a paused one can exit) and,
    /// for those two, waits for it to exit.
    private func signal(_ key: String, _ signal: Int32) async throws(FaultFailure) {
        guard let process = running[key], process.isRunning else {
            throw FaultFailure(description: "\(Self.label(key)) is not running")
        }
        let pid = process.processIdentifier
        let ends = signal == SIGKILL || signal == SIGTERM
        if ends { kill(pid, SIGCONT) }
        guard kill(pid, signal) == 0 else { throw FaultFailure(description: "kill \(signal) \(pid): errno \(errno)") }
        guard ends else { return }
        let deadline = ContinuousClock.now + Self.stopLimit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        running[key] = nil
    }

    /// Stops every process: SIGTERM, then SIGKILL after `stopLimit`.
    func stop() async {
        for key in running.keys.sorted(by: { $0 > $1 }) {  // units first, the config-center ("") last
            try? await signal(key, SIGTERM)
        }
    }

    // MARK: FaultTarget

    nonisolated func refusal(_ kind: FaultKind) -> String? {
        (kind == .clockJump || kind == .cutRegion) && shim == nil ? "the cluster was started without the fault shim" : nil
    }

    func strike(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let key = fault.unit ?? ""
        switch fault.kind {
        case .kill: try await signal(key, SIGKILL)
        case .pause, .pauseCenter: try await signal(key, SIGSTOP)
        case .clockJump: try await step(key, milliseconds: (fault.clockStepSeconds ?? 0) * 1_000)
        case .cutRegion: try await cut(fault.region, off: true)
        }
    }

    func heal(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let key = fault.unit ?? ""
        switch fault.kind {
        case .kill: try await start(key)
        case .pause, .pauseCenter: try await signal(key, SIGCONT)
        case .clockJump: try await step(key, milliseconds: 0)
        case .cutRegion: try await cut(fault.region, off: false)
        }
    }

    /// Sets unit `key`'s clock step and waits out the shim's 20 ms between reads, so it has taken effect.
    private func step(_ key: String, milliseconds: Int) async throws(FaultFailure) {
        guard shim != nil, !key.isEmpty else { throw FaultFailure(description: refusal(.clockJump) ?? "no unit") }
        try Self.writeWhole("\(milliseconds)\n", to: clockFile(key))
        try? await Task.sleep(for: .milliseconds(25))
    }

    /// Cuts `region` off (or joins it again): every process's list of addresses it may not reach is written anew
    /// from the regions cut now, then the shim's 20 ms between reads waited out.
    private func cut(_ region: String?, off: Bool) async throws(FaultFailure) {
        guard shim != nil, let region, regions.contains(region) else {
            throw FaultFailure(description: refusal(.cutRegion) ?? "no region '\(region ?? "")' in this cluster")
        }
        if off { cut.insert(region) } else { cut.remove(region) }
        let regionOf = Dictionary(uniqueKeysWithValues: file.units.map { ($0.id, $0.region) })
        for key in launches.keys {
            let mine = regionOf[key]  // nil: the config-center
            let unreachable = launches.filter { other, _ in
                other != key && cut.contains { cutRegion in
                    (mine == cutRegion) != (regionOf[other] == cutRegion)
                }
            }.map { "\($0.value.address.host):\($0.value.address.port)" }.sorted()
            try Self.writeWhole(unreachable.joined(separator: "\n") + "\n", to: netFile(key))
        }
        try? await Task.sleep(for: .milliseconds(25))
    }

    /// The shim's files for process `key` ("" for the config-center), written empty, and the environment that
    /// points it at them; nothing without the shim.
    private func shimEnvironment(_ key: String) throws(FaultFailure) -> [String: String] {
        guard let shim else { return [:] }
        try Self.writeWhole("0\n", to: clockFile(key))
        try Self.writeWhole("", to: netFile(key))
        return ["LD_PRELOAD": shim, "FLASHSALE_FAULT_CLOCK_FILE": clockFile(key), "FLASHSALE_FAULT_NET_FILE": netFile(key)]
    }

    private func clockFile(_ key: String) -> String { file.folder + "/clocks/" + (key.isEmpty ? "config-center" : key) }
    private func netFile(_ key: String) -> String { file.folder + "/net/" + (key.isEmpty ? "config-center" : key) }

    /// Writes a shim file whole (a new file renamed over the old), so the shim never reads half of one.
    private static func writeWhole(_ text: String, to path: String) throws(FaultFailure) {
        let partial = path + ".new"
        guard FileManager.default.createFile(atPath: partial, contents: Data(text.utf8)), rename(partial, path) == 0 else {
            throw FaultFailure(description: "cannot write \(path)")
        }
    }

    // MARK: helpers

    private static func label(_ key: String) -> String { key.isEmpty ? "the config-center" : "unit \(key)" }

    /// Whether something accepts TCP connections at `address` (a loopback connect answers at once).
    private static func listens(_ address: LoopbackAddress) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(address.port).bigEndian)
        guard inet_pton(AF_INET, address.host, &socketAddress.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Empties `folder` for a new run: only when it does not exist or herd made it (it holds the marker).
    private static func freshFolder(_ folder: String) throws(FaultFailure) {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder) {
            let contents = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
            guard contents.isEmpty || contents.contains(marker) else {
                throw FaultFailure(description: "\(folder) exists and herd did not make it; name another folder in the cluster file")
            }
            try? manager.removeItem(atPath: folder)
        }
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FaultFailure(description: "cannot make \(folder): \(error)")
        }
        _ = manager.createFile(atPath: folder + "/" + marker, contents: Data("made by herd --cluster; emptied at its next start\n".utf8))
    }

    /// 32 random bytes in hex, readable by this user only.
    private static func writeSecret(_ path: String) throws(FaultFailure) {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FaultFailure(description: "cannot write \(path)")
        }
    }
}
