// The config-center CLI run as an operator runs it, from tests.

import Foundation
import Testing
import TestSupport

/// Runs `config-center` with `arguments` against `center`, with the operator credential in `credentialFile` (as
/// FLASHSALE_CREDENTIAL_FILE, the way an operator's shell has it) and the CA it trusts in `caFile` (FLASHSALE_CA_FILE); returns its exit status and what it printed. Waits
/// by polling, so no thread of the shared pool is blocked while the CLI runs. Output goes to files, so a long output
/// (thousands of tokens) never fills a pipe.
func runCLI(
    _ arguments: [String], center: String, credentialFile: String? = nil, caFile: String? = nil
) async throws -> (status: Int32, out: String, err: String) {
    var environment = ["FLASHSALE_CENTER": center]
    environment["FLASHSALE_CREDENTIAL_FILE"] = credentialFile
    environment["FLASHSALE_CA_FILE"] = caFile
    return try await runProgram(try Binaries.path("config-center"), arguments, environment: environment)
}

/// Runs the program at `path` with `arguments`, its environment this process's plus `environment`, as `runCLI`.
/// Spawned in a session of its own (`TestRun`) and reaped with waitpid: Foundation's `Process` reports a shell
/// script that started daemons (deploy/netns-cluster.sh) as running for as long as those daemons live, and the
/// daemons stay in the script's process group, which the test run's guard kills should the test process die.
/// A program still running after `timeLimit` is killed (SIGKILL) and the test records it.
func runProgram(
    _ path: String, _ arguments: [String], environment extra: [String: String] = [:], timeLimit: Duration = .seconds(300)
) async throws -> (status: Int32, out: String, err: String) {
    let folder = try TestRun.makeFolder("program")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outPath = folder + "/out"
    let errPath = folder + "/err"
    let pid = try TestRun.spawn(path, arguments, environment: extra, output: outPath, errors: errPath)
    var status: Int32 = 0
    let giveUp = ContinuousClock.now + timeLimit
    while waitpid(pid, &status, WNOHANG) == 0 {
        if ContinuousClock.now > giveUp {
            kill(-pid, SIGKILL)
            Issue.record("\(path) still running after \(timeLimit); killed")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    // WEXITSTATUS, or 128 + the signal that ended it, as a shell reports it.
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, try String(contentsOfFile: outPath, encoding: .utf8), try String(contentsOfFile: errPath, encoding: .utf8))
}
