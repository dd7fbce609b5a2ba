// The monotonic clock at a tick's resolution, for deadlines set on every request.

#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// `NIODeadline.now()` read from `CLOCK_MONOTONIC_COARSE`: the same clock as `NIODeadline.now()`
/// (`CLOCK_MONOTONIC`), up to one kernel tick (1–4 ms) behind, and cheaper to read: no time-stamp counter is read,
/// which in a virtual machine costs more than the rest of the call. A deadline seconds long set from it fires at
/// most a tick early. Where the coarse clock is not there, it is `NIODeadline.now()`.
public enum CoarseClock {
    public static func now() -> NIODeadline {
        #if os(Linux)
        var time = timespec()
        guard clock_gettime(CLOCK_MONOTONIC_COARSE, &time) == 0, time.tv_sec >= 0, time.tv_nsec >= 0 else {
            return .now()
        }
        return .uptimeNanoseconds(UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
        #else
        return .now()
        #endif
    }
}
