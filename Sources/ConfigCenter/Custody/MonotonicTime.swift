// The config-center's monotonic clock in milliseconds, for spans that no wall-clock step may lengthen or shorten.

/// Milliseconds on `ContinuousClock` since this process first asked. How long a unit has been silent and how long
/// the config-center has been awake are spans, which a wall clock stepped by NTP or an operator would falsify:
/// a step forward would retire every unit at once. The clock keeps counting while the process is stopped, which is
/// what `AwakeWatch` detects.
public enum MonotonicTime {
    private static let origin = ContinuousClock.now

    @Sendable public static func sinceStartMs() -> Int64 {
        let elapsed = (ContinuousClock.now - origin).components
        return elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000
    }
}
