// How many CPUs this process may run on, as the scheduler sees it (taskset, systemd's CPUAffinity=, a cpuset).

import Foundation

/// The CPUs in the process's affinity mask. SwiftNIO sizes its event-loop group from the machine's cores (or the
/// cgroup's quota), not from this mask, so a server pinned to one CPU of two runs two event loops on it: they take the
/// CPU from each other in scheduler slices, and a request that arrives on the loop not running waits a slice (the
/// sold-out p99 was 5 ms with two loops on one CPU, 2 ms with one, at the same throughput; BENCHMARKS.md).
public enum CPUAffinity {
    /// The number of CPUs in the mask (Linux's `/proc/self/status`), or nil where it cannot be read.
    public static func count() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return cpus(inStatus: status)
    }

    /// The CPUs of the `Cpus_allowed:` line of a `/proc/<pid>/status` text (a hex mask in comma-separated groups of
    /// 32 bits), or nil when it has none or it does not parse.
    static func cpus(inStatus status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        var cpus = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && !character.isWhitespace {
            guard let nibble = character.hexDigitValue else { return nil }
            cpus += nibble.nonzeroBitCount
        }
        return cpus > 0 ? cpus : nil
    }

    /// The event loops a server should run: one per CPU it may run on, when that is fewer than SwiftNIO would start;
    /// nil to leave SwiftNIO's default (also when the operator set `NIO_SINGLETON_GROUP_LOOP_COUNT`).
    public static func eventLoops(coreCount: Int, environment: [String: String], cpus: Int? = count()) -> Int? {
        guard environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil, let cpus, cpus < coreCount else { return nil }
        return cpus
    }
}
