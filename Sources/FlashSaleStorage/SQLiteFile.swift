// How every process of the cluster opens its SQLite database.

public import GRDB

/// How hard a commit waits for the disk. `full` (the default) survives power loss; `normal` survives a crash
/// of the process (kill -9) but may lose the last transactions on power loss.
public enum SynchronousMode: String, Sendable, CaseIterable {
    case full
    case normal
}

public enum SQLiteFile {
    /// A pool on `path` (created when missing) in WAL mode, migrated by `migrator`.
    public static func open(path: String, synchronous: SynchronousMode, migrator: DatabaseMigrator) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }
}
