// The config-center CLI run as an operator runs it, from tests.

import Foundation

/// Runs `config-center` with `arguments` against `center`; returns its exit status and what it printed. Waits by
/// polling, so no thread of the shared pool is blocked while the CLI runs. Output goes to files, so a long
/// output (thousands of tokens) never fills a pipe.
func runCLI(_ arguments: [String], center: String) async throws -> (status: Int32, out: String, err: String) {
    try await runProgram(try Binaries.path("config-center"), arguments, environment: ["FLASHSALE_CENTER": center])
}

/// Runs the program at `path` with `arguments`, its environment this process's plus `environment`, as `runCLI`.
/// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process` reports a shell script that started
/// daemons (deploy/netns-cluster.sh) as running for as long as those daemons live.
func runProgram(
    _ path: String, _ arguments: [String], environment extra: [String: String] = [:]
) async throws -> (status: Int32, out: String, err: String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let outPath = folder.appendingPathComponent("out").path
    let errPath = folder.appendingPathComponent("err").path

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }.map { "\($0.key)=\($0.value)" }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard spawned == 0 else { throw Binaries.Missing(description: "cannot start \(path): error \(spawned)") }

    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(20)) }
    // WEXITSTATUS, or 128 + the signal that ended it, as a shell reports it.
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, try String(contentsOfFile: outPath, encoding: .utf8), try String(contentsOfFile: errPath, encoding: .utf8))
}
