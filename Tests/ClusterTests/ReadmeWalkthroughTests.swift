// The README's walk-through, run as written against the local cluster that its first command starts: every
// command must still do what its comment says.

import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct ReadmeWalkthroughTests {
        /// The walk-through names fixed ports (the ones deploy/local-cluster.sh uses); elsewhere in use, the test
        /// says so and does not run rather than fight a cluster someone is using.
        static let readmePorts = [7000, 8101, 8102, 8201, 8301]
        static let portsFree = readmePorts.allSatisfy { !isListening(port: $0) }

        @Test(.enabled(if: portsFree, "a port of the README's cluster (7000, 8101-8301) is in use on 127.0.0.1"))
        func theSaleStepByStepDoesWhatItsCommentsSay() async throws {
            let root = Binaries.packageRoot
            let bin = URL(fileURLWithPath: try Binaries.path("config-center")).deletingLastPathComponent().path
            let run = try TestRun.makeFolder("readme")
            let environment = ["FLASHSALE_BIN": bin, "FLASHSALE_RUN": run]
            let script = root + "/deploy/local-cluster.sh"
            TestRun.atExit("FLASHSALE_BIN='\(bin)' FLASHSALE_RUN='\(run)' bash '\(script)' down")
            let up = try await runProgram("/bin/bash", [script], environment: environment)
            if up.status == 0 {
                try await walkThrough(root: root, environment: environment)
            } else {
                Issue.record("deploy/local-cluster.sh failed:\n\(up.out)\n\(up.err)")
            }
            let down = try await runProgram("/bin/bash", [script, "down"], environment: environment)
            #expect(down.status == 0, "\(down.err)")
        }

        private func walkThrough(root: String, environment: [String: String]) async throws {
            let walk = try Self.walkthrough(readme: root + "/README.md")
            let answers = try await runProgram(
                "/bin/bash", ["-c", "cd '\(root)' && " + walk], environment: environment, timeLimit: .seconds(120))
            let out = answers.out
            let context = "the walk-through printed:\n\(out)\n\(answers.err)"
            #expect(answers.status == 0, "\(context)")
            // What the comments promise.
            for promised in [
                "HTTP/1.1 403", "sale-not-started", "Retry-After", "\n201\n", "already-bought", "\n409\n",
                "wrong-unit", "\n421\n", "\"status\":\"paid\"", "\n200\n", "token-required", "unauthorized", "\n401\n",
                "event: order", "sale-paused", "\n503\n",
                "nothing to change", "conserved",
            ] {
                #expect(out.contains(promised), "expected \(promised.debugDescription) in the answers; \(context)")
            }
        }

        /// The shell block of "A sale, step by step", with two changes a script needs: the binaries come from
        /// FLASHSALE_BIN (the ones `swift test` built, not a release build), and the endless order stream is cut
        /// after two seconds.
        static func walkthrough(readme path: String) throws -> String {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let section = text.range(of: "## A sale, step by step"),
                let open = text.range(of: "```sh\n", range: section.upperBound..<text.endIndex),
                let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex)
            else { throw Binaries.Missing(description: "README.md has no shell block under 'A sale, step by step'") }
            return text[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in
                    if line.hasPrefix("export PATH=") { return #"export PATH="$FLASHSALE_BIN:$PATH""# }
                    if line.contains("curl -sN") { return "timeout 2 " + line }
                    return String(line)
                }
                .joined(separator: "\n")
        }

        private static func isListening(port: Int) -> Bool {
            guard let fd = Loopback.connect(to: port) else { return false }
            close(fd)
            return true
        }
    }
}
