// One folder per test run, and a guard that stops whatever the run started should the test process die.

public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// This test process's run: a folder for its data and logs, and the process groups and clean-up commands that must
/// not outlive it.
///
/// A crashed test process cannot clean up after itself, so a guard does it: a small shell process in a session of
/// its own (signals to the test's process group do not reach it) that waits for the test process to end, however
/// it ends, then kills every process group the run adopted and runs the run's clean-up commands. Children are
/// started in sessions of their own (`spawn`), so killing a child's group also kills the daemons it started
/// (deploy/netns-cluster.sh's units and delay links). The next run sweeps the folders of earlier runs whose process
/// is gone: it reaps them again, in case their guard was killed too, and deletes them.
public enum TestRun {
    /// Every run's folder lives here, named after its process id.
    static let base = FileManager.default.temporaryDirectory.appendingPathComponent("flashsale-tests").path

    /// This run's folder, made (and the guard started, and earlier runs swept) on first use.
    public static let folder: String = start()

    /// A new folder inside this run's folder, for one test's data.
    public static func makeFolder(_ prefix: String) throws -> String {
        let path = folder + "/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Kills process group `group` when the test process ends, unless it is gone by then.
    public static func adopt(group: pid_t) { append("\(group)\n", to: folder + "/groups") }

    /// Runs `command` (a line of bash) when the test process ends: for what a killed process cannot undo itself,
    /// such as network namespaces.
    public static func atExit(_ command: String) { append(command + "\n", to: folder + "/cleanup") }

    /// Starts `path` with `arguments` in a session of its own, its output appended to `output` (or nowhere), and
    /// adopts its group. Returns its process id, which is also its group's.
    public static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], output: String? = nil,
        errors: String? = nil
    ) throws -> pid_t {
        _ = folder
        let pid = try rawSpawn(path, arguments, environment: environment, output: output ?? "/dev/null", errors: errors ?? output ?? "/dev/null")
        adopt(group: pid)
        return pid
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h; a GNU extension).
    private static let spawnSetSID: Int16 = 0x80

    /// posix_spawn in a new session, through bash, which closes every inherited descriptor above 2 and then becomes
    /// `path` (same process id): a child that holds this process's pipes would keep `swift test` waiting on them.
    private static func rawSpawn(
        _ path: String, _ arguments: [String], environment: [String: String], output: String, errors: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handlers and no blocked signals: this process ignores SIGTERM and SIGPIPE (the in-process
        // servers' service groups), and an ignored signal stays ignored across exec.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGDEF) | Int16(POSIX_SPAWN_SETSIGMASK))
        let trampoline = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$0" "$@""#
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv = (["/bin/bash", "-c", trampoline, path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw SpawnError(description: "cannot start \(path): error \(spawned)") }
        return pid
    }

    // MARK: Start, guard and sweep

    /// What both the guard and the sweep do to a run's folder: kill its groups, run its clean-up commands.
    private static let reap = """
        folder=$1
        if [ -f "$folder/groups" ]; then
            while read -r group; do [ -n "$group" ] && kill -KILL -- "-$group" 2>/dev/null; done < "$folder/groups"
        fi
        [ -f "$folder/cleanup" ] && bash "$folder/cleanup" >/dev/null 2>&1
        rm -f "$folder/groups" "$folder/cleanup"
        exit 0
        """

    private static func start() -> String {
        let folder = base + "/run-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let reaper = base + "/reap.sh"
        try? reap.write(toFile: reaper, atomically: true, encoding: .utf8)
        sweep(reaper: reaper, except: folder)
        // The guard polls this process (kill -0) and reaps once it is gone.
        let watch = "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; exec bash \(reaper) \(folder)"
        if (try? rawSpawn("/bin/bash", ["-c", watch], environment: [:], output: "/dev/null", errors: "/dev/null")) == nil {
            FileHandle.standardError.write(Data("warning: no guard for this test run's children\n".utf8))
        }
        return folder
    }

    /// Reaps and deletes the folders of earlier runs whose process has ended.
    private static func sweep(reaper: String, except current: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        for name in names where name.hasPrefix("run-") {
            let path = base + "/" + name
            guard path != current, let pid = pid_t(name.dropFirst(4)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            guard let reaping = try? rawSpawn("/bin/bash", [reaper, path], environment: [:], output: "/dev/null", errors: "/dev/null")
            else { continue }
            var status: Int32 = 0
            waitpid(reaping, &status, 0)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private static let appendLock = NSLock()

    private static func append(_ text: String, to path: String) {
        appendLock.lock()
        defer { appendLock.unlock() }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            handle.closeFile()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }
    }
}
