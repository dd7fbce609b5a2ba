// One run of a command-line program herd needs while it sets a cluster up or breaks one (`config-center apply`,
// `flashsale-unit key`, `systemctl`).

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end and returns what it printed; a non-zero exit is a failure carrying its output.
/// Output goes to a file, not a pipe, so waiting never blocks a thread and a chatty program never stalls.
enum ProgramRun {
    /// Longest a program may take: each is one request to a process on this host.
    static let timeLimit = Duration.seconds(30)

    /// Starts `program` with its output and errors into `output` (closed here once the child has its copy) and
    /// nothing on its input.
    static func spawn(
        _ program: String, _ arguments: [String], environment: [String: String], output: FileHandle
    ) throws(FaultFailure) -> Process {
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw FaultFailure(description: "cannot run \(program): \(error)")
        }
        return process
    }

    static func output(_ program: String, _ arguments: [String], environment: [String: String]) async throws(FaultFailure) -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("herd-run-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: outputPath, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: outputPath)
        else { throw FaultFailure(description: "cannot write \(outputPath)") }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = try spawn(program, arguments, environment: environment, output: output)
        let deadline = ContinuousClock.now + timeLimit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        let name = URL(fileURLWithPath: program).lastPathComponent
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            throw FaultFailure(description: "\(name) \(arguments.prefix(2).joined(separator: " ")) took longer than \(timeLimit); killed")
        }
        let text = FileManager.default.contents(atPath: outputPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard process.terminationStatus == 0 else {
            throw FaultFailure(
                description: "\(name) \(arguments.prefix(2).joined(separator: " ")) failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
