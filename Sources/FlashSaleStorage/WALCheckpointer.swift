// Copies a database's write-ahead log back into its file on a thread of its own, so its writer's commits never wait
// for a checkpoint.

import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit copies them all
/// into the database file and waits for its fsync, and every write queued behind it waits too. On the unit's full
/// path those commits were the p99: without them it fell from 7–8 ms to under 4 (BENCHMARKS.md).
///
/// Attached to the writer's connection, this replaces SQLite's checkpoint with three steps:
/// 1. When a commit takes the WAL to `threshold` pages, the writer's WAL hook wakes this thread, which checkpoints
///    PASSIVE on a connection of its own. A passive checkpoint neither waits for nor blocks the writer or readers;
///    it copies the pages written before it began, pass after pass until it is within `tail` pages of the end, or
///    until a pass no longer gains on the writer (a disk slow enough that the writer adds during a pass what the pass
///    copies).
/// 2. SQLite writes the WAL from its start again only once a checkpoint has copied all of it, before the writer's
///    next transaction. Under a steady stream of commits the background pass always lags the last few, so the commit
///    after it caught up copies the rest on the writer's own connection, from the hook: what one pass leaves.
/// 3. Should the thread fall `ceiling` pages behind (a disk slower than the writes), the hook checkpoints on the
///    writer as SQLite would have: the WAL stays bounded.
///
/// Every step is an ordinary SQLite checkpoint, which SQLite makes safe against any interleaving with writes and
/// reads; what this decides is only who pays for it and when.
public final class WALCheckpointer: Sendable {
    /// Sizes in WAL pages (frames).
    public struct Limits: Sendable {
        /// The WAL size that wakes the background checkpoint; SQLite's own default for its automatic one.
        public var threshold = 1_000
        /// How close the background checkpoint must come to the WAL's end for the writer to finish it.
        public var tail = 100
        /// The WAL size past which the writer checkpoints itself, however far behind the background is.
        public var ceiling = 8_000

        public init(threshold: Int = 1_000, tail: Int = 100, ceiling: Int = 8_000) {
            precondition(threshold > 0 && tail >= 0 && ceiling >= threshold, "WAL limits out of order")
            self.threshold = threshold
            self.tail = tail
            self.ceiling = ceiling
        }
    }

    /// How many checkpoints ran, and where (for tests and metrics).
    public struct Counts: Sendable, Equatable {
        /// Background catch-ups, each one or more passes.
        public var background = 0
        /// Finished on the writer after the background caught up.
        public var finished = 0
        /// Tried on the writer because the WAL had reached `ceiling` pages (one per commit while it stays there).
        public var forced = 0
    }

    private struct State {
        /// The WAL's size in pages after the last commit.
        var frames = 0
        /// Bumped whenever the WAL starts again from its beginning.
        var generation = 0
        /// The generation in which the background caught up as far as it can: the writer finishes it.
        var caughtUp: Int?
        /// The background thread has a pass to make (or is making it).
        var wanted = false
        /// The background thread runs and the writer's hook points here.
        var attached = false
        var stopping = false
        var counts = Counts()
    }

    private let path: String
    private let synchronous: SynchronousMode
    private let limits: Limits
    private let state = Mutex(State())
    private let bell = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)

    /// For the database at `path`, whose writer commits with `synchronous` (the checkpoint's fsyncs follow it).
    public init(path: String, synchronous: SynchronousMode, limits: Limits = Limits()) {
        self.path = path
        self.synchronous = synchronous
        self.limits = limits
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// Takes over the checkpoints of `db`, the writer's connection, and starts the background thread. Until
    /// `detach(_:)`, this object must live and `db` must commit on one thread at a time (GRDB's writer does).
    public func attach(_ db: Database) throws {
        precondition(!state.withLock(\.attached), "a WALCheckpointer serves one writer at a time")
        let connection = try DatabaseQueue(path: path)
        try connection.writeWithoutTransaction { db in try db.execute(sql: synchronous.pragma) }
        state.withLock { state in
            // Counts add up over attachments; the rest starts afresh.
            state = State(attached: true, counts: state.counts)
        }
        NamedThread.start("wal-checkpoint") { [self] in
            passes(on: connection)
            // Closed here, before `detach` returns, not whenever the thread's closure happens to be released: a
            // connection closed last checkpoints the whole log under an exclusive lock, and a unit started again on
            // the same file (a restart) was refused with "database is locked" when that came late.
            try? connection.close()
            ended.signal()
        }
        // The hook replaces SQLite's automatic checkpoint, which is itself a WAL hook.
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Gives `db` back SQLite's automatic checkpoint (at `threshold` pages) and ends the background thread, after
    /// its pass. Nothing to do if `attach(_:)` failed or never ran.
    public func detach(_ db: Database) {
        let attached = state.withLock { state in
            defer {
                state.attached = false
                state.stopping = true
            }
            return state.attached
        }
        guard attached else { return }
        sqlite3_wal_autocheckpoint(db.sqliteConnection, Int32(clamping: limits.threshold))
        bell.signal()
        ended.wait()
    }

    /// The writer's WAL hook, after each commit, on the writer's thread: `frames` is the WAL's size now.
    fileprivate func committed(frames: Int, on db: OpaquePointer) {
        enum Step { case none, wake, finish, force }
        let step = state.withLock { state -> Step in
            if frames < state.frames { state.generation += 1 }
            state.frames = frames
            guard frames >= limits.threshold else { return .none }
            if state.caughtUp == state.generation {
                state.caughtUp = nil
                state.counts.finished += 1
                return .finish
            }
            if frames >= limits.ceiling {
                state.counts.forced += 1
                return .force
            }
            if state.wanted { return .none }
            state.wanted = true
            return .wake
        }
        switch step {
        case .none: break
        case .wake: bell.signal()
        case .finish, .force:
            // SQLite calls its own automatic checkpoint from this hook too. Busy means the background is copying:
            // a forced one is tried again at the next commit, a finish waits for the background's next catch-up.
            _ = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        }
    }

    /// The background thread: a pass whenever the hook asks for one, until detached.
    private func passes(on connection: DatabaseQueue) {
        while true {
            bell.wait()
            let (stop, generation) = state.withLock { ($0.stopping, $0.generation) }
            if stop { return }
            let caughtUp = catchUp(on: connection)
            state.withLock { state in
                state.counts.background += 1
                if caughtUp && state.generation == generation { state.caughtUp = generation }
                state.wanted = false
            }
        }
    }

    /// Passive checkpoints until within `tail` pages of the WAL's end, or until a pass leaves no less than the one
    /// before (true: the writer adds about as much during a pass as the pass copies, on a slow disk; the writer
    /// finishes from there, so the log still starts over). False when a pass copies nothing (a reader still needs
    /// the rest, or the writer is checkpointing) or fails, or the checkpointer is detached: the next commit asks again.
    private func catchUp(on connection: DatabaseQueue) -> Bool {
        var (copied, left) = (-1, Int.max)
        while !state.withLock(\.stopping) {
            let pass = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            guard let (frames, done) = pass.map({ ($0.walFrameCount, $0.checkpointedFrameCount) }) else { return false }
            if done <= copied { return false }
            if frames - done <= limits.tail || frames - done >= left { return true }
            (copied, left) = (done, frames - done)
        }
        return false
    }
}

/// The WAL hook's C entry: `context` is the attached `WALCheckpointer`, unretained (it outlives the attachment).
private let walHook:
    @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = { context, db, _, frames in
    guard let context, let db else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: Int(frames), on: db)
    return SQLITE_OK
}
