// What the config-center's /readyz and /metrics read from its database.

import GRDB

extension CenterStore {
    /// Whether the database answers a read: the config-center is ready only while it can serve configurations.
    func databaseAnswers() async -> Bool {
        do {
            return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") == 1 }
        } catch {
            return false
        }
    }

    /// The configuration version and the number of sales, read in one snapshot for a scrape.
    func figures() async throws -> (configVersion: Int64, sales: Int) {
        try await pool.read { db in
            (try CenterQueries.configVersion(db), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sale") ?? 0)
        }
    }
}
