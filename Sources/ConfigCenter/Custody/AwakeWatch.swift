// Since when the config-center has run without a gap: a paused or starved process heard nobody meanwhile.

/// Tracks the retirement loop's ticks on the monotonic clock. While the process is stopped (SIGSTOP, a VM frozen) or
/// starved, the clock runs on but no report is read: every unit would look silent on waking though none was. So a
/// tick that comes more than `gapMs` after the one before restarts the awake span, and `RetirementRule` retires
/// nobody until the config-center has again been awake, and listening, for the whole silence span.
struct AwakeWatch: Sendable {
    /// A gap between ticks longer than this is a pause: four times the 250 ms tick, well above scheduling jitter.
    static let gapMs: Int64 = 1_000

    /// Since when, in monotonic milliseconds, the process has ticked without a gap.
    private(set) var sinceMs: Int64
    private var lastTickMs: Int64

    /// Awake from `startMs`, the process's start: nothing was heard before it.
    init(startMs: Int64) {
        sinceMs = startMs
        lastTickMs = startMs
    }

    /// Notes a tick at `nowMs`; returns since when the process has been awake.
    mutating func tick(atMs nowMs: Int64) -> Int64 {
        if nowMs - lastTickMs > Self.gapMs { sinceMs = nowMs }
        lastTickMs = max(lastTickMs, nowMs)
        return sinceMs
    }
}
