// The WAL checkpointer on a real SQLite file: the log is copied back in the background, starts over from its
// beginning, stays bounded when the background cannot keep up, and loses nothing.

import FlashSaleStorage
import Foundation
import GRDB
import Testing

@Suite struct WALCheckpointerTests {
    /// A WAL database in a folder of its own, with one table of page-sized rows: each commit adds a page or two.
    private struct Database {
        let folder: String
        let path: String
        let pool: DatabasePool

        init() throws {
            folder = NSTemporaryDirectory() + "wal-checkpointer-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            path = folder + "/test.sqlite"
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in try db.execute(sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)") }
        }

        /// `count` commits of one row each, numbered from `first`.
        func commit(_ count: Int, from first: Int = 0) throws {
            let payload = Data(repeating: 7, count: 3_000)
            for id in first..<(first + count) {
                try pool.write { db in try db.execute(sql: "INSERT INTO rows VALUES (?, ?)", arguments: [id, payload]) }
            }
        }

        /// A checkpointer with `limits`, attached to the pool's writer.
        func attached(_ limits: WALCheckpointer.Limits) throws -> WALCheckpointer {
            let checkpointer = WALCheckpointer(path: path, synchronous: .normal, limits: limits)
            try pool.writeWithoutTransaction { db in try checkpointer.attach(db) }
            return checkpointer
        }

        func rows() throws -> Int? {
            try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM rows") }
        }

        var walBytes: Int {
            ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    private static let pageBytes = 4_096 + 24

    @Test func theLogIsCopiedInTheBackgroundAndStartsOverWhileTheWriterKeepsCommitting() throws {
        let database = try Database()
        defer { database.remove() }
        let checkpointer = try database.attached(.init(threshold: 200, tail: 20, ceiling: 100_000))

        try database.commit(3_000)
        let counts = checkpointer.counts
        database.pool.writeWithoutTransaction { db in checkpointer.detach(db) }

        #expect(counts.background > 0)
        #expect(counts.finished > 0, "the writer finished what the background had nearly copied, so the log started over")
        #expect(counts.forced == 0)
        // 3,000 commits in a log that never started over come to 9,125 pages (a new leaf, its parent and the header's
        // page each). The file keeps its largest size, so it says how far the log got before it started over. How far
        // depends on how fast the background copies beside the writer (a CI run on a loaded machine reached 2,003
        // pages), so the bound is a third of a log that never started over, not a speed.
        #expect(database.walBytes < 3_000 * Self.pageBytes, "the WAL holds \(database.walBytes) bytes")
        #expect(try database.rows() == 3_000)
        #expect(try database.pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
    }

    @Test func aWriterFarAheadOfTheBackgroundCheckpointsItselfSoTheLogStaysBounded() throws {
        let database = try Database()
        defer { database.remove() }
        let checkpointer = try database.attached(.init(threshold: 50, tail: 5, ceiling: 300))
        defer { database.pool.writeWithoutTransaction { db in checkpointer.detach(db) } }

        // A reader keeps the log's first pages in use: no checkpoint can copy past them, the background's included.
        let reading = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            try? database.pool.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM rows")
                reading.signal()
                release.wait()
            }
            done.signal()
        }
        try database.commit(20)
        reader.start()
        reading.wait()
        try database.commit(400, from: 20)
        #expect(checkpointer.counts.forced > 0, "past the ceiling the writer tries itself, as SQLite would")
        let heldBack = database.walBytes
        #expect(heldBack > 300 * Self.pageBytes)

        release.signal()
        done.wait()
        try database.commit(600, from: 420)
        // Once the reader let go, the writer's own checkpoints caught up and the log started over: 600 commits of two
        // or three pages each added almost nothing to it.
        #expect(
            database.walBytes < heldBack + 100 * Self.pageBytes, "the WAL grew from \(heldBack) to \(database.walBytes) bytes")
        #expect(try database.rows() == 1_020)
    }

    @Test func onceDetachedSQLiteCheckpointsByItselfAgain() throws {
        let database = try Database()
        defer { database.remove() }
        var checkpointer: WALCheckpointer? = WALCheckpointer(
            path: database.path, synchronous: .normal, limits: .init(threshold: 100, tail: 10, ceiling: 1_000))
        // Detaching what never attached (its attach failed) returns at once.
        database.pool.writeWithoutTransaction { db in checkpointer?.detach(db) }
        try database.pool.writeWithoutTransaction { db in try checkpointer?.attach(db) }
        try database.commit(300)
        database.pool.writeWithoutTransaction { db in checkpointer?.detach(db) }
        // The hook no longer points at it: commits after it is gone must not reach it.
        checkpointer = nil
        try database.commit(2_000, from: 300)
        // SQLite's own checkpoint runs at 100 pages again (the threshold it was given back).
        #expect(database.walBytes < 1_000 * Self.pageBytes, "the WAL holds \(database.walBytes) bytes")
        #expect(try database.rows() == 2_300)
    }

    /// The background's connection is closed by the time `detach` returns. Closed later, whenever its thread let go
    /// of it, it could be the file's last connection: SQLite then checkpoints the whole log under an exclusive lock,
    /// and a unit restarted on the file meanwhile was refused with "database is locked". Here the writer's pool,
    /// closed right after the detach, must be the last: the last close is what removes the WAL file.
    @Test func detachingClosesTheBackgroundsConnection() throws {
        for _ in 0..<5 {
            let database = try Database()
            defer { database.remove() }
            let checkpointer = try database.attached(.init(threshold: 100, tail: 10, ceiling: 1_000))
            try database.commit(300)
            database.pool.writeWithoutTransaction { db in checkpointer.detach(db) }
            try database.pool.close()
            #expect(!FileManager.default.fileExists(atPath: database.path + "-wal"), "a connection outlived the pool")
        }
    }
}
