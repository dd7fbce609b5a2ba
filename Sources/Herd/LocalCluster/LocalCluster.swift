// A cluster herd starts itself from a `--cluster` file: the config-center and units as real processes on
// loopback, which the fault plan can kill, restart and pause because herd holds their process ids.

import FlashSaleCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processes of one local cluster. Plain HTTP on loopback: the cluster lives for one rehearsal, its secrets
/// in a folder only this user reads. Every process is stopped by `stop()`, by process id; herd calls it on its way
/// out, also on SIGINT, SIGTERM and SIGHUP, and a run that died anyway has its leftovers stopped by the next.
actor LocalCluster: FaultTarget {
    nonisolated let name: String
    nonisolated let units: [String]
    nonisolated let regions: [String]
    nonisolated let centerURL: String
    nonisolated let credentialFile: String
    nonisolated let ordersCredentialFile: String
    private let file: LocalClusterFile
    private let folder: ClusterFolder
    private let bin: String
    /// The fault shim preloaded into every process (`clock-jump`, `cut-region`), or nil.
    private let shim: String?
    /// How each process is started ("" is the config-center), so a killed one starts again the same way.
    private var launches: [String: Launch] = [:]
    private var running: [String: Process] = [:]
    private var paused: Set<String> = []
    /// Set by `stop`: nothing starts any more (a heal's restart racing a shutdown would outlive herd).
    private var stopping = false
    /// Regions cut off now.
    private var cut: Set<String> = []

    struct Launch: Sendable {
        var program: String
        var arguments: [String]
        var address: LoopbackAddress
        var region: String?
        /// Added to herd's own environment.
        var environment: [String: String] = [:]
    }

    /// Longest wait for a process to listen, or to exit after SIGKILL or SIGTERM.
    static let startLimit = Duration.seconds(20)
    static let stopLimit = Duration.seconds(10)
    /// Longest wait for the shim of every running process to acknowledge a new clock step or cut.
    static let acknowledgeLimit = Duration.seconds(2)

    private init(file: LocalClusterFile, path: String, bin: String, shim: String?) {
        self.file = file
        self.bin = bin
        self.shim = shim
        folder = ClusterFolder(path: file.folder)
        name = "local cluster from \(path)"
        units = file.units.map(\.id)
        regions = Set(file.units.map(\.region)).sorted()
        centerURL = "http://\(file.center)"
        credentialFile = file.folder + "/center/admin.credential"
        ordersCredentialFile = file.folder + "/orders.credential"
    }

    /// The cluster of `file`, checked but not started (`bringUp` starts it). With `shimmed` every process will run
    /// with the fault shim (`libFaultShim.so` from `bin`; Sources/FaultShim), which steps a unit's clock and cuts
    /// connections as herd writes to its files, and does nothing until then.
    static func make(file: LocalClusterFile, path: String, bin: String, shimmed: Bool) throws(FaultFailure) -> LocalCluster {
        for program in ["config-center", "flashsale-unit"] where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(program)") {
            throw FaultFailure(description: "no \(program) in \(bin) (build it, or name the folder with --bin)")
        }
        let shim = bin + "/libFaultShim.so"
        if shimmed {
            guard FileManager.default.fileExists(atPath: shim) else {
                throw FaultFailure(description: "clock-jump and cut-region need \(shim) (swift build --product FaultShim)")
            }
            // LD_PRELOAD splits its list at spaces and colons.
            guard !shim.contains(" "), !shim.contains(":") else {
                throw FaultFailure(description: "the shim's path \(shim) holds a space or a colon, which LD_PRELOAD cannot take")
            }
        }
        return LocalCluster(file: file, path: path, bin: bin, shim: shimmed ? shim : nil)
    }

    /// Starts the cluster: a fresh folder, secrets, the config-center, its regions and units enrolled, the units,
    /// then the cluster files of `apply`. On a failure the caller stops what was started (`stop`).
    func bringUp() async throws(FaultFailure) {
        try folder.prepare()
        for secret in ["cluster-secret", "orders.credential", "payment-webhook.secret"] { try folder.writeSecret(secret) }
        let addresses = [file.center] + file.units.map(\.listen)
        for address in addresses.compactMap(LoopbackAddress.init) where Self.listens(address) {
            throw FaultFailure(description: "something already listens on \(address); stop it or change the cluster file")
        }
        guard let centerAddress = LoopbackAddress(file.center) else { throw FaultFailure(description: "bad center address") }
        try await launch("", Launch(
            program: bin + "/config-center",
            arguments: ["serve", "--listen", file.center, "--data", folder.path + "/center",
                        "--cluster-secret-file", folder.path + "/cluster-secret", "--plain-http"],
            address: centerAddress, region: nil, environment: try shimEnvironment("")))
        try await cli(["apply", try declaration()])
        for unit in file.units {
            let data = folder.path + "/units/" + unit.id
            let key = try await ProgramRun.output(bin + "/flashsale-unit", ["key", "--data", data], environment: environment)
            try await cli([
                "unit", "add", unit.id, "--region", unit.region, "--url", "http://\(unit.listen)",
                "--public-key", key.trimmingCharacters(in: .whitespacesAndNewlines),
            ])
            guard let address = LoopbackAddress(unit.listen) else { throw FaultFailure(description: "bad address \(unit.listen)") }
            var arguments = [
                "--id", unit.id, "--region", unit.region, "--listen", unit.listen, "--data", data,
                "--center", centerURL, "--cluster-secret-file", folder.path + "/cluster-secret",
                "--orders-credential-file", ordersCredentialFile,
                "--payment-webhook-secret-file", folder.path + "/payment-webhook.secret", "--plain-http",
            ]
            if let interval = file.gossipIntervalMs { arguments += ["--gossip-interval-ms", String(interval)] }
            try await launch(unit.id, Launch(
                program: bin + "/flashsale-unit", arguments: arguments, address: address, region: unit.region,
                environment: try shimEnvironment(unit.id)))
        }
        try await waitUntilSeen()
        for path in file.apply ?? [] { try await cli(["apply", path]) }
    }

    /// The regions and units of the file as a cluster file of the config-center's own format.
    private func declaration() throws(FaultFailure) -> String {
        var text = "regions:\n" + regions.map { "  - id: \($0)\n" }.joined() + "units:\n"
        text += file.units.map { "  - id: \($0.id)\n    region: \($0.region)\n" }.joined()
        try folder.write(text, to: "cluster.yaml")
        return folder.path + "/cluster.yaml"
    }

    /// Waits for every unit's first signed heartbeat, so the sale is allocated to units the config-center knows.
    private func waitUntilSeen() async throws(FaultFailure) {
        let deadline = ContinuousClock.now + Self.startLimit
        while ContinuousClock.now < deadline {
            let lines = try await cli(["unit", "list"]).split(separator: "\n")
            let seen = units.allSatisfy { id in
                lines.contains { $0.split(separator: " ").first.map(String.init) == id && !$0.hasSuffix("never") }
            }
            if seen { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
        throw FaultFailure(description: "units never reported to the config-center; see \(folder.path)/logs")
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

    // MARK: FaultTarget

    nonisolated func refusal(_ kind: FaultKind) -> String? {
        (kind == .clockJump || kind == .cutRegion) && shim == nil ? "the cluster was started without the fault shim" : nil
    }

    func strike(_ fault: FaultPlan.Fault) async throws(FaultFailure) {
        let key = fault.unit ?? ""
        switch fault.kind {
        case .kill, .down: try await signal(key, SIGKILL)
        case .pause, .pauseCenter: try await signal(key, SIGSTOP)
        case .clockJump: try await step(key, milliseconds: (fault.clockStepSeconds ?? 0) * 1_000)
        case .cutRegion: try await cut(fault.region, off: true)
        }
    }

    /// Undoes `fault`; also when its strike failed halfway, so nothing stays broken (each heal is idempotent).
    func heal(_ fault: FaultPlan.Fault, struck: Bool) async throws(FaultFailure) {
        let key = fault.unit ?? ""
        switch fault.kind {
        case .kill, .down: if running[key] == nil { try await start(key) }
        case .pause, .pauseCenter: try await signal(key, SIGCONT)
        case .clockJump: try await step(key, milliseconds: 0)
        case .cutRegion: try await cut(fault.region, off: false)
        }
    }

    // MARK: the shim's files

    /// Sets unit `key`'s clock step; returns once its shim acknowledged it.
    private func step(_ key: String, milliseconds: Int) async throws(FaultFailure) {
        guard shim != nil, !key.isEmpty else { throw FaultFailure(description: refusal(.clockJump) ?? "no unit") }
        let text = "\(milliseconds)\n"
        try folder.write(text, to: Self.clockFile(key))
        try await acknowledged([(key, Self.clockFile(key), text)])
    }

    /// Cuts `region` off (or joins it again): every process's list of addresses it may not reach is written anew
    /// from the regions cut now (`RegionCut`); returns once every running process's shim acknowledged its list.
    private func cut(_ region: String?, off: Bool) async throws(FaultFailure) {
        guard shim != nil, let region, regions.contains(region) else {
            throw FaultFailure(description: refusal(.cutRegion) ?? "no region '\(region ?? "")' in this cluster")
        }
        if off { cut.insert(region) } else { cut.remove(region) }
        let processes = launches.mapValues { RegionCut.Process(region: $0.region, address: $0.address.description) }
        var written: [(key: String, file: String, text: String)] = []
        for key in launches.keys.sorted() {
            let text = RegionCut.unreachable(from: key, processes: processes, cut: cut).map { $0 + "\n" }.joined()
            try folder.write(text, to: Self.netFile(key))
            written.append((key, Self.netFile(key), text))
        }
        try await acknowledged(written)
    }

    /// Waits until the shim of every listed process that runs and is not paused has written back what its file
    /// holds now (a stopped or dead process reads its file when it runs again, before anything else it does). What
    /// the file holds now, not what this call wrote: a cut of another region may have rewritten it meanwhile (the
    /// actor runs other calls while this one waits), and the newer text includes this change.
    private func acknowledged(_ files: [(key: String, file: String, text: String)]) async throws(FaultFailure) {
        let deadline = ContinuousClock.now + Self.acknowledgeLimit
        var waiting = files
        while true {
            waiting.removeAll { entry in
                running[entry.key]?.isRunning != true || paused.contains(entry.key)
                    || folder.read(entry.file + ".ack") == folder.read(entry.file)
            }
            if waiting.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                let names = waiting.map { Self.label($0.key) }.joined(separator: ", ")
                throw FaultFailure(description: "the fault shim of \(names) did not take the change within \(Self.acknowledgeLimit)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The shim's files for process `key`, written empty, and the environment that points it at them; nothing
    /// without the shim.
    private func shimEnvironment(_ key: String) throws(FaultFailure) -> [String: String] {
        guard let shim else { return [:] }
        try folder.write("0\n", to: Self.clockFile(key))
        try folder.write("", to: Self.netFile(key))
        return [
            "LD_PRELOAD": shim,
            "FLASHSALE_FAULT_CLOCK_FILE": folder.path + "/" + Self.clockFile(key),
            "FLASHSALE_FAULT_NET_FILE": folder.path + "/" + Self.netFile(key),
        ]
    }

    private static func clockFile(_ key: String) -> String { "clocks/" + processName(key) }
    private static func netFile(_ key: String) -> String { "net/" + processName(key) }
    private static func processName(_ key: String) -> String { key.isEmpty ? "config-center" : key }
    static func label(_ key: String) -> String { key.isEmpty ? "the config-center" : "unit \(key)" }

    // MARK: processes

    private func launch(_ key: String, _ launch: Launch) async throws(FaultFailure) {
        launches[key] = launch
        try await start(key)
    }

    /// Starts the process `key` as launched before, its output appended to its log, and waits until it listens
    /// (with the shim loaded, when there is one).
    private func start(_ key: String) async throws(FaultFailure) {
        guard let launch = launches[key] else { throw FaultFailure(description: "no process '\(key)' in this cluster") }
        guard !stopping else { throw FaultFailure(description: "the cluster is stopping") }
        let log = folder.path + "/logs/" + Self.processName(key) + ".log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        guard let output = FileHandle(forWritingAtPath: log) else { throw FaultFailure(description: "cannot write \(log)") }
        output.seekToEndOfFile()
        let process = try ProgramRun.spawn(
            launch.program, launch.arguments,
            environment: ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }, output: output)
        running[key] = process
        paused.remove(key)
        try folder.record(pid: process.processIdentifier, of: Self.processName(key))
        let deadline = ContinuousClock.now + Self.startLimit
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                running[key] = nil
                throw FaultFailure(description: "\(Self.label(key)) exited (\(process.terminationStatus)) at start; see \(log)")
            }
            if Self.listens(launch.address), process.isRunning {
                if let shim, !Self.maps(process.processIdentifier, shim) {
                    throw FaultFailure(description: "\(Self.label(key)) runs without the fault shim \(shim); see \(log)")
                }
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw FaultFailure(description: "\(Self.label(key)) did not listen on \(launch.address); see \(log)")
    }

    /// Sends `signal` to the process `key` and, for SIGTERM and SIGKILL, waits for it to exit (SIGCONT first, so a
    /// paused one can). SIGCONT to a process that is not paused does nothing.
    private func signal(_ key: String, _ signal: Int32) async throws(FaultFailure) {
        guard let process = running[key], process.isRunning else {
            if signal == SIGCONT { return }
            throw FaultFailure(description: "\(Self.label(key)) is not running")
        }
        let pid = process.processIdentifier
        let ends = signal == SIGKILL || signal == SIGTERM
        if ends { kill(pid, SIGCONT) }
        guard kill(pid, signal) == 0 else { throw FaultFailure(description: "kill \(signal) \(pid): errno \(errno)") }
        switch signal {
        case SIGSTOP: paused.insert(key)
        case SIGCONT: paused.remove(key)
        default: break
        }
        guard ends else { return }
        let deadline = ContinuousClock.now + Self.stopLimit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        running[key] = nil
        paused.remove(key)
    }

    /// Stops every process: SIGTERM, then SIGKILL after `stopLimit`; units first, the config-center last. Nothing
    /// starts after it began, and it goes on until no process is left (a restart may have begun meanwhile).
    func stop() async {
        stopping = true
        while let key = running.keys.sorted(by: { $0 > $1 }).first {
            do { try await signal(key, SIGTERM) } catch { running[key] = nil }
        }
    }

    // MARK: helpers

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

    /// Whether process `pid` has `library` mapped (the dynamic loader skips a preload it cannot load, saying so
    /// only on the process's stderr).
    private static func maps(_ pid: Int32, _ library: String) -> Bool {
        ProcFile.read("/proc/\(pid)/maps")?.contains(library) ?? false
    }
}
