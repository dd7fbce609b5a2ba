// The config-center CLI run as an operator runs it, from tests.

import Foundation

/// Runs `config-center` with `arguments` against `center`; returns its exit status and what it printed. Waits by
/// polling, so no thread of the shared pool is blocked while the CLI runs. Output goes to files, so a long
/// output (thousands of tokens) never fills a pipe.
func runCLI(_ arguments: [String], center: String) async throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Binaries.path("config-center"))
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["FLASHSALE_CENTER"] = center
    process.environment = environment
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let outURL = folder.appendingPathComponent("out")
    let errURL = folder.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer {
        try? out.close()
        try? err.close()
    }
    process.standardOutput = out
    process.standardError = err
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    return (
        process.terminationStatus, try String(contentsOf: outURL, encoding: .utf8),
        try String(contentsOf: errURL, encoding: .utf8)
    )
}
