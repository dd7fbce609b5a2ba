// A built executable of this package run as a child process, stopped by PID.

import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// One running `config-center` or `flashsale-unit`, its output in a log file. It runs in a session of its own that
/// the test run's guard kills should the test process die first (`TestRun`).
final class ChildProcess {
    let name: String
    let arguments: [String]
    let logPath: String
    let pid: pid_t
    /// The exit status once reaped (as a shell reports it: 128 + signal when a signal ended it).
    private let status = Mutex<Int32?>(nil)

    /// Starts `binary` (a product of this package) with `arguments`.
    init(binary: String, arguments: [String], logDirectory: String, name: String) throws {
        self.name = name
        self.arguments = arguments
        self.logPath = logDirectory + "/\(name)-\(UUID().uuidString.prefix(8)).log"
        pid = try TestRun.spawn(try Binaries.path(binary), arguments, output: logPath)
    }

    var isRunning: Bool { reap() == nil }

    /// kill -9: no chance to flush or drain anything.
    func kill9() async {
        kill(pid, SIGKILL)
        await waitForExit()
    }

    /// SIGTERM and wait for a clean exit; returns the exit status.
    @discardableResult
    func terminate() async -> Int32 {
        if isRunning { kill(pid, SIGTERM) }
        return await waitForExit()
    }

    /// Waits without blocking a thread of the shared pool (in-process servers of other tests run on it).
    @discardableResult
    func waitForExit() async -> Int32 {
        while true {
            if let status = reap() { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The exit status if the process has ended (reaping it once), else nil.
    private func reap() -> Int32? {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                }
            }
            return status
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}

/// Where `swift build` put this package's executables: next to the test bundle.
enum Binaries {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func path(_ name: String) throws -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Linux the test runner is `<bin>/<package>PackageTests.xctest`; on macOS a bundle inside <bin>.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            if directory.lastPathComponent == "debug" || directory.lastPathComponent == "release" { break }
            directory = directory.deletingLastPathComponent()
        }
        throw Missing(description: "\(name) not found next to the test runner; run `swift build` before `swift test`")
    }

    /// The package's root folder (for files under config-center/).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Binaries.Missing(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw Binaries.Missing(description: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
