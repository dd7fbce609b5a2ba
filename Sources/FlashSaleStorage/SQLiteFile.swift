// How every process of the cluster opens its SQLite database.

public import GRDB
import SQLiteTuning

/// How hard a commit waits for the disk. `full` (the default) survives power loss; `normal` survives a crash
/// of the process (kill -9) but may lose the last transactions on power loss.
public enum SynchronousMode: String, Sendable, CaseIterable {
    case full
    case normal

    /// The statement that sets it on a connection: the writer's and readers' (`SQLiteFile.open`), and the
    /// checkpointer's, whose fsyncs must follow the writer's (`WALCheckpointer`).
    var pragma: String { "PRAGMA synchronous = \(self == .full ? "FULL" : "NORMAL")" }
}

public enum SQLiteFile {
    /// A pool on `path` (created when missing) in WAL mode, migrated by `migrator`.
    public static func open(path: String, synchronous: SynchronousMode, migrator: DatabaseMigrator) throws -> DatabasePool {
        _ = tuned
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: synchronous.pragma)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }

    /// SQLite's process-wide settings, made once, before the first connection opens (`flashsale_sqlite_configure`):
    /// no mutex around each call on a connection (GRDB hands a connection to one thread at a time) and none around
    /// each allocation, which the group-commit writer paid for every order. Should SQLite already be in use in this
    /// process (a test that opened it first), nothing changes and it runs as before, serialized.
    private static let tuned: Int32 = flashsale_sqlite_configure()
}
