// The folder of one local cluster: made fresh per run, only ever emptied when herd made it, with the secrets,
// the shim's files and a record of every process started (so a run that died cannot leave its cluster running
// into the next).

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Files of a local cluster's folder. Every function fails with a `FaultFailure` that names the path.
struct ClusterFolder: Sendable {
    let path: String

    /// Marks a folder herd made, the only kind it empties.
    static let marker = ".herd-cluster"

    /// Makes the folder ready for a new run: absent, it is made; empty, it is used as it is; made by herd (it holds
    /// the marker), the processes a previous run left running are stopped and its content removed. Anything else
    /// (a file, a folder that cannot be listed, a folder of someone else's files) is refused and left untouched.
    func prepare() throws(FaultFailure) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw FaultFailure(description: "\(path) is a file, not a folder; name a folder in the cluster file") }
            try lock()
            let contents: [String]
            do { contents = try manager.contentsOfDirectory(atPath: path) } catch {
                throw FaultFailure(description: "cannot list \(path): \(error)")
            }
            if !contents.isEmpty {
                guard contents.contains(Self.marker) else {
                    throw FaultFailure(description: "\(path) exists and herd did not make it; name another folder in the cluster file")
                }
                stopLeftovers()
                for entry in contents {
                    do { try manager.removeItem(atPath: path + "/" + entry) } catch {
                        throw FaultFailure(description: "cannot empty \(path): \(error)")
                    }
                }
            }
        } else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw FaultFailure(description: "cannot make \(path): \(error)")
            }
            try lock()
        }
        try write("made by herd --cluster; emptied at its next start\n", to: Self.marker)
        for sub in ["logs", "pids", "clocks", "net"] {
            do { try manager.createDirectory(atPath: path + "/" + sub, withIntermediateDirectories: true) } catch {
                throw FaultFailure(description: "cannot make \(path)/\(sub): \(error)")
            }
        }
    }

    /// Writes `text` to `name` whole: a new file renamed over the old, so a reader (the shim) never sees half.
    func write(_ text: String, to name: String, mode: Int = 0o600) throws(FaultFailure) {
        let target = path + "/" + name
        let partial = target + ".new"
        guard FileManager.default.createFile(atPath: partial, contents: Data(text.utf8), attributes: [.posixPermissions: mode]),
            rename(partial, target) == 0
        else { throw FaultFailure(description: "cannot write \(target)") }
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// 32 random bytes in hex, readable by this user only.
    func writeSecret(_ name: String) throws(FaultFailure) {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try write(hex, to: name)
    }

    /// Records that process `name` runs as `pid`.
    func record(pid: Int32, of name: String) throws(FaultFailure) { try write("\(pid)\n", to: "pids/" + name) }

    /// Locks the folder for this herd's lifetime (flock on the folder itself, released when herd exits, however it
    /// exits), so a second herd on the same cluster file is refused instead of emptying a running cluster's folder.
    private func lock() throws(FaultFailure) {
        guard Self.locked.withLock({ !$0.contains(path) }) else { return }  // this herd holds it already
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FaultFailure(description: "cannot open \(path): errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw FaultFailure(description: "another herd is running a cluster in \(path)")
        }
        // Left open on purpose: the lock lasts as long as this process.
        Self.locked.withLock { _ = $0.insert(path) }
    }

    /// Folders this process has locked.
    private static let locked = Mutex<Set<String>>([])

    /// Kills (SIGKILL) what a previous run recorded and left running: only a live process whose command line
    /// has an argument inside this folder, so a recycled process id is never hit.
    private func stopLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path + "/pids")) ?? []
        for name in names {
            guard let text = read("pids/" + name), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
                let command = ProcFile.read("/proc/\(pid)/cmdline"),
                command.split(separator: "\0").contains(where: { $0.hasPrefix(path + "/") })
            else { continue }
            kill(pid, SIGKILL)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
        }
    }
}
