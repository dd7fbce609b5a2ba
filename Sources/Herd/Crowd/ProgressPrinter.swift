// Redraws the progress line on stderr while a phase of the run goes on.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// On a terminal, one line redrawn five times a second; otherwise (a log file, a test) a line every two
/// seconds, so the log stays readable.
struct ProgressPrinter: Sendable {
    let counters: CrowdCounters
    let total: Int
    let phase: String
    let started: ContinuousClock.Instant

    static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Draws until cancelled, then draws the final state once.
    func run() async {
        let terminal = Self.isTerminal
        let interval: Duration = terminal ? .milliseconds(200) : .seconds(2)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            draw(terminal: terminal, final: false)
        }
        draw(terminal: terminal, final: true)
    }

    private func draw(terminal: Bool, final: Bool) {
        let line = ProgressLine(
            buyersDone: counters.buyersDone.load(ordering: .relaxed), buyersTotal: total,
            orders: counters.orders.load(ordering: .relaxed), requests: counters.requests.load(ordering: .relaxed),
            elapsedMilliseconds: Int(PurchaseClient.nanoseconds(ContinuousClock.now - started) / 1_000_000), phase: phase,
            showsSales: phase != "tokens"
        ).render()
        // \r and "erase to end of line" redraw in place on a terminal.
        let text = terminal ? "\r\(line)\u{1B}[K" + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
