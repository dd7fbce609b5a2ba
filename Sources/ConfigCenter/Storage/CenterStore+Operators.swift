// Operators at the config-center: their credentials (hashed), their roles, and the first admin.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB

extension CenterStore {
    /// Name of the first admin, made when the database has no operator.
    public static let firstAdminName = "admin"

    /// Makes the first admin when there is no operator yet and writes its credential to `file`, readable by
    /// its owner only. Returns whether it did: an existing cluster keeps its operators and its file untouched. The
    /// file is written (and synced) before the admin is stored, so a crash between the two leaves no admin whose
    /// credential nobody has: the next start finds no operator and writes a new one.
    @discardableResult
    public func ensureFirstAdmin(credentialFile file: String) async throws -> Bool {
        guard try await pool.read({ db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operator") }) == 0 else {
            return false
        }
        let now = nowMs()
        let credential = OperatorCredential.make()
        try SecretFile.write(credential + "\n", to: file)
        return try await pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operator") == 0 else { return false }
            try Self.insertOperator(OperatorSpec(name: Self.firstAdminName, role: .admin), credential: credential, nowMs: now, db)
            return true
        }
    }

    /// The operator whose credential this is, or nil.
    public func authenticate(credential: String) async throws -> Operator? {
        guard credential.hasPrefix(OperatorCredential.prefix), credential.utf8.count <= OperatorCredential.maxLength else {
            return nil
        }
        let hash = OperatorCredential.hash(credential)
        return try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, role FROM operator WHERE credential_sha256 = ?", arguments: [hash]),
                let role = OperatorRole(rawValue: row["role"])
            else { return nil }
            return Operator(name: row["name"], role: role)
        }
    }

    /// A new operator and its credential, shown only in this answer.
    public func addOperator(_ spec: OperatorSpec) async throws -> OperatorGrant {
        guard IdentifierRule.isValidID(spec.name) else { throw CenterError.invalidInput(Self.idRule("operator name")) }
        let credential = OperatorCredential.make()
        let now = nowMs()
        try await pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM operator WHERE name = ?", arguments: [spec.name]) == nil else {
                throw CenterError.alreadyExists("operator '\(spec.name)' exists; remove it first to give it a new credential")
            }
            try Self.insertOperator(spec, credential: credential, nowMs: now, db)
        }
        return OperatorGrant(name: spec.name, role: spec.role, credential: credential)
    }

    public func operators() async throws -> [OperatorView] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, role, created_ms FROM operator ORDER BY name").compactMap { row in
                guard let role = OperatorRole(rawValue: row["role"]) else { return nil }
                return OperatorView(name: row["name"], role: role, createdAt: Date(millisecondsSince1970: row["created_ms"]))
            }
        }
    }

    /// Removes an operator; its credential stops working at once. The last admin stays, so the cluster can
    /// always be managed.
    public func removeOperator(_ name: String) async throws -> [OperatorView] {
        try await pool.write { db in
            guard let role = try String.fetchOne(db, sql: "SELECT role FROM operator WHERE name = ?", arguments: [name]) else {
                throw CenterError.unknownOperator(name)
            }
            let admins = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operator WHERE role = 'admin'") ?? 0
            guard role != OperatorRole.admin.rawValue || admins > 1 else {
                throw CenterError.conflict("'\(name)' is the last admin; add another admin first")
            }
            try db.execute(sql: "DELETE FROM operator WHERE name = ?", arguments: [name])
        }
        // Wakes open status streams, which check their credential again and end if it was this one.
        changes.advance()
        return try await operators()
    }

    private static func insertOperator(_ spec: OperatorSpec, credential: String, nowMs: Int64, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO operator (name, role, credential_sha256, created_ms) VALUES (?, ?, ?, ?)",
            arguments: [spec.name, spec.role.rawValue, OperatorCredential.hash(credential), nowMs])
    }
}
