// One run of a command-line program herd needs while it sets a cluster up (`config-center apply`, `unit add`).

import Foundation

/// Runs a program to its end and returns what it printed; a non-zero exit is a failure carrying its output.
enum ProgramRun {
    /// Longest a setup command may take: each is one request to a config-center on this host.
    static let timeLimit = Duration.seconds(30)

    static func output(_ program: String, _ arguments: [String], environment: [String: String]) async throws(FaultFailure) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw FaultFailure(description: "cannot run \(program): \(error)")
        }
        // Read while it runs, so a chatty program never blocks on a full pipe.
        let reader = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        let deadline = ContinuousClock.now + timeLimit
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            process.terminate()
            throw FaultFailure(description: "\(program) \(arguments.joined(separator: " ")) took longer than \(timeLimit)")
        }
        let text = String(decoding: await reader.value, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw FaultFailure(
                description: "\(URL(fileURLWithPath: program).lastPathComponent) \(arguments.prefix(2).joined(separator: " ")) failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
