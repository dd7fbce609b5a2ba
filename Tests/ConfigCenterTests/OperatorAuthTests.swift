// Operators: every route but the public ones needs a credential, each role may do only its own, and a refused
// request changes nothing.

import ConfigCenter
import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Operator credentials and roles")
struct OperatorAuthTests {
    /// Every guarded route with a request an admin could make, and the least role that may make it.
    static let guarded: [(method: HTTPRequest.Method, uri: String, body: String?, role: OperatorRole)] = [
        (.get, "/v1/regions", nil, .viewer),
        (.get, "/v1/units", nil, .viewer),
        (.get, "/v1/sales", nil, .viewer),
        (.get, "/v1/sales/s1", nil, .viewer),
        (.get, "/v1/sales/s1/status", nil, .viewer),
        (.get, "/v1/sales/s1/status/stream", nil, .viewer),
        (.get, "/v1/blacklist", nil, .viewer),
        (.post, "/v1/sales", #"{"id":"s2","title":"T","stock":5,"startsAt":"2025-06-15T15:05:40Z","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1}"#, .operator),
        (.post, "/v1/sales/s1/allocations", #"{"counts":{"eu":5}}"#, .operator),
        (.post, "/v1/sales/s1/restock", #"{"amount":7}"#, .operator),
        (.post, "/v1/sales/s1/pause", nil, .operator),
        (.post, "/v1/sales/s1/resume", nil, .operator),
        (.post, "/v1/sales/s1/stop", nil, .operator),
        (.put, "/v1/blacklist/mallory", nil, .operator),
        (.delete, "/v1/blacklist/mallory", nil, .operator),
        (.post, "/v1/apply", #"{"sales":[]}"#, .operator),
        (.post, "/v1/regions", #"{"id":"ap"}"#, .admin),
        (.post, "/v1/units", #"{"id":"eu-9","region":"eu","url":"http://attacker.example:80"}"#, .admin),
        (.delete, "/v1/units/eu-1/key", nil, .admin),
        (.post, "/v1/tokens", #"{"user":"u1","region":"eu","level":0,"accountCreatedAt":"2025-01-01T00:00:00Z"}"#, .admin),
        (.post, "/v1/token-keys/rotate", nil, .admin),
        (.put, "/v1/token-issuer", issuerBody, .admin),
        (.delete, "/v1/token-issuer", nil, .admin),
        (.get, "/v1/operators", nil, .admin),
        (.post, "/v1/operators", #"{"name":"eve","role":"admin"}"#, .admin),
        (.delete, "/v1/operators/test-admin", nil, .admin),
    ]

    /// A JWKS document with one P-256 key, as an identity provider publishes it.
    static let issuerBody: String = {
        let key = P256.Signing.PrivateKey().publicKey
        let jwk = JWKSDocument.Key(p256: key, kid: "idp-1")
        let spec = TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", jwks: JWKSDocument(keys: [jwk]))
        return String(decoding: (try? WireJSON.encoder.encode(spec)) ?? Data(), as: UTF8.self)
    }()

    /// A center with region eu (eu-1) and sale s1 (stock 100, 10 to eu), and one operator of each role.
    private func withRoles(_ body: @Sendable (CenterClient, [OperatorRole: String]) async throws -> Void) async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1", stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            var credentials: [OperatorRole: String] = [:]
            for role in OperatorRole.allCases {
                let grant = try center.ok(
                    OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "op-\(role.rawValue)", role: role)),
                    status: .created)
                credentials[role] = grant.credential
            }
            try await body(center, credentials)
        }
    }

    private func send(_ center: CenterClient, _ route: (method: HTTPRequest.Method, uri: String, body: String?, role: OperatorRole)) async throws -> TestResponse {
        try await center.execute(
            uri: route.uri, method: route.method, headers: [.contentType: "application/json"],
            body: route.body.map { ByteBuffer(string: $0) })
    }

    @Test func withoutACredentialEveryGuardedRouteIs401AndChangesNothing() async throws {
        try await withRoles { center, _ in
            for route in Self.guarded {
                for credential in [nil, "fsc_" + String(repeating: "0", count: 64), "not-a-credential", ""] as [String?] {
                    let stranger = center.with(credential: credential)
                    let problem = try await center.expectRefused(.unauthorized) { try await send(stranger, route) }
                    #expect(problem.detail?.contains("Bearer") == true, "\(route.method) \(route.uri)")
                }
            }
            let answer = try await send(center.with(credential: nil), Self.guarded[0])
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func aRoleBelowTheRoutesIs403AndChangesNothing() async throws {
        try await withRoles { center, credentials in
            for route in Self.guarded {
                for role in OperatorRole.allCases where role < route.role {
                    let weaker = center.with(credential: credentials[role])
                    let problem = try await center.expectRefused(.forbidden) { try await send(weaker, route) }
                    #expect(problem.detail?.contains(route.role.rawValue) == true)
                }
            }
        }
    }

    @Test func eachRoleMayDoItsOwnAndWhatIsBelow() async throws {
        try await withRoles { center, credentials in
            for route in Self.guarded where route.method == .get {
                for role in OperatorRole.allCases where role >= route.role {
                    guard !route.uri.hasSuffix("/stream") else { continue }
                    let answer = try await send(center.with(credential: credentials[role]), route)
                    #expect(answer.status == .ok, "\(role) \(route.uri): \(answer.text)")
                }
            }
            let operatorClient = center.with(credential: credentials[.operator])
            try await operatorClient.createSale(saleSpec("s2", stock: 10))
            try await operatorClient.allocate("s2", AllocationSpec(counts: ["eu": 3]))
            #expect(try await operatorClient.post("/v1/sales/s2/pause", raw: "").status == .ok)
        }
    }

    @Test func anOperatorsSaleFileMayNotEnrolRegionsOrUnits() async throws {
        try await withRoles { center, credentials in
            let operatorClient = center.with(credential: credentials[.operator])
            let units = ClusterDocument(units: [UnitSpec(id: "eu-1", region: "eu", url: "http://attacker.example:9")])
            try await center.expectRefused(.forbidden) { try await operatorClient.post("/v1/apply", units) }
            let regions = ClusterDocument(regions: [RegionSpec(id: "eu", endpoint: "http://attacker.example:9")])
            try await center.expectRefused(.forbidden) { try await operatorClient.post("/v1/apply", regions) }
            let sales = ClusterDocument(sales: [DeclaredSale(sale: saleSpec("s3", stock: 4))])
            #expect(try await operatorClient.post("/v1/apply", sales).status == .ok)
            #expect(try await center.sales().map(\.sale).contains("s3"))
        }
    }

    @Test func publicRoutesNeedNoCredential() async throws {
        try await withCenter { center in
            let stranger = center.with(credential: nil)
            for uri in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/dashboard", "/dashboard/dashboard.js"] {
                let answer = try await stranger.get(uri)
                #expect(answer.status == .ok, "\(uri)")
            }
        }
    }

    @Test func aRemovedOperatorsCredentialStopsWorkingAndTheLastAdminStays() async throws {
        try await withRoles { center, credentials in
            let viewer = center.with(credential: credentials[.viewer])
            #expect(try await viewer.get("/v1/sales").status == .ok)
            let left = try center.ok([OperatorView].self, try await center.execute(uri: "/v1/operators/op-viewer", method: .delete))
            #expect(!left.map(\.name).contains("op-viewer"))
            try center.expectProblem(try await viewer.get("/v1/sales"), .unauthorized)

            // Two admins: one may go, the other is the last and stays.
            _ = try await center.execute(uri: "/v1/operators/op-admin", method: .delete)
            try center.expectProblem(try await center.execute(uri: "/v1/operators/test-admin", method: .delete), .conflict)
            try center.expectProblem(try await center.execute(uri: "/v1/operators/nobody", method: .delete), .notFound)
        }
    }

    @Test func operatorsAreListedWithoutCredentialsAndNamesAreUnique() async throws {
        try await withRoles { center, credentials in
            let response = try await center.get("/v1/operators")
            let list = try center.ok([OperatorView].self, response)
            #expect(list.map(\.name) == ["op-admin", "op-operator", "op-viewer", "test-admin"])
            #expect(list.map(\.role) == [.admin, .operator, .viewer, .admin])
            for credential in credentials.values { #expect(!response.text.contains(credential)) }
            try await center.expectRefused(.alreadyExists) {
                try await center.post("/v1/operators", OperatorSpec(name: "op-viewer", role: .admin))
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/operators", OperatorSpec(name: "Bad Name", role: .viewer))
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/operators", raw: #"{"name":"x","role":"root"}"#)
            }
        }
    }

    @Test func theDatabaseKeepsOnlyHashesAndTheFirstAdminFileIsTheOwnersAlone() async throws {
        let dir = temporaryDirectoryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
        defer { try? pool.close() }
        let store = try CenterStore(pool: pool)
        let file = dir + "/admin.credential"
        #expect(try await store.ensureFirstAdmin(credentialFile: file))
        let credential = try SecretFile.read(file, what: "credential")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try await store.authenticate(credential: credential) == Operator(name: "admin", role: .admin))

        // A second start keeps the admin and the file as they are.
        #expect(try await !store.ensureFirstAdmin(credentialFile: file))
        #expect(try SecretFile.read(file, what: "credential") == credential)

        let stored = try await pool.read { db in try String.fetchAll(db, sql: "SELECT credential_sha256 FROM operator") }
        #expect(stored.count == 1 && stored[0] != credential && !stored[0].contains(credential.dropFirst(4)))
        #expect(try await store.authenticate(credential: stored[0]) == nil, "the hash is not a credential")

        // A credential file others may read is refused, as ssh refuses such a key.
        chmod(file, 0o644)
        #expect(throws: SecretFile.Failure.self) { try SecretFile.read(file, what: "credential") }
    }
}
