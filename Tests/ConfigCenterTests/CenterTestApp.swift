// Shared set-up of the config-center tests: a fresh database in a temporary folder, a clock the test moves by
// hand, the real router, and small typed helpers around the HummingbirdTesting client.

import ConfigCenter
import Crypto
import HTTPTypes
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TestSupport

/// The instant every test starts at: a whole second, so dates survive ISO 8601 (no fractions) unchanged.
enum Fixed {
    static let nowMs: Int64 = 1_750_000_000_000
    static var now: Date { Date(millisecondsSince1970: nowMs) }

    /// `seconds` from the test's start.
    static func at(_ seconds: Int64) -> Date { Date(millisecondsSince1970: nowMs + seconds * 1000) }
}

/// The config-center's clock, moved by hand.
final class TestClock: Sendable {
    private let ms: Mutex<Int64>

    init(_ startMs: Int64 = Fixed.nowMs) { ms = Mutex(startMs) }

    var nowMs: Int64 { ms.withLock { $0 } }

    func advance(seconds: Int64) { ms.withLock { $0 += seconds * 1000 } }
}

/// What the API shows of the whole state; equal before and after a refused request when nothing changed.
struct Snapshot: Equatable {
    var config: ClusterConfig
    var units: [UnitSpec]
    var sales: [SaleStatus]
}

/// A new temporary directory path for one test's database.
func temporaryDirectoryPath() -> String {
    TestRun.folder + "/center-\(UUID().uuidString)"
}

/// Runs `body` against a config-center on a new, empty database in `dir`; removes `dir` afterwards.
func withCenter(
    in dir: String = temporaryDirectoryPath(), clusterSecret: String? = nil,
    _ body: @Sendable (CenterClient) async throws -> Void
) async throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pool = try CenterDatabase.open(path: dir + "/center.sqlite")
    defer { try? pool.close() }
    let clock = TestClock()
    let store = try CenterStore(pool: pool, nowMs: { clock.nowMs })
    let gossip = clusterSecret.flatMap { GossipSeal(secret: Array($0.utf8)) }.map {
        CenterGossip(store: store, seal: $0, key: TestKeys.key(NodeID.center.rawValue))
    }
    let app = Application(router: CenterRoutes.router(store: store, gossip: gossip))
    let admin = try await testAdmin(store)
    try await app.test(.router) { client in
        try await body(CenterClient(client: client, clock: clock, credential: admin))
    }
}

/// The credential of a new admin operator of `store`: the test client acts as the cluster's admin.
func testAdmin(_ store: CenterStore) async throws -> String {
    try await store.addOperator(OperatorSpec(name: "test-admin", role: .admin)).credential
}

/// The test client with the config-center's wire conventions.
struct CenterClient: Sendable {
    let client: any TestClientProtocol
    let clock: TestClock
    /// The operator credential sent with every request (nil: none).
    var credential: String?
    /// Whether a unit's heartbeat (`POST /v1/units/{id}/report`) is signed as that unit with its test key.
    var signsReports = true

    /// The same client with another credential (nil: none), to test who may do what.
    func with(credential: String?) -> CenterClient {
        CenterClient(client: client, clock: clock, credential: credential, signsReports: signsReports)
    }

    /// The same client, its heartbeats unsigned (a stranger's).
    var unsigned: CenterClient {
        CenterClient(client: client, clock: clock, credential: credential, signsReports: false)
    }

    // MARK: Raw requests

    /// A request with the client's credential (when it has one) added to `headers`.
    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> TestResponse {
        var headers = headers
        if let credential { headers[.authorization] = "Bearer \(credential)" }
        let parts = uri.split(separator: "/")
        if signsReports, method == .post, parts.count == 4, parts[0] == "v1", parts[1] == "units", parts[3] == "report" {
            let bytes = body.map { Data(buffer: $0) } ?? Data()
            headers.append(contentsOf: TestKeys.headers(unit: String(parts[2]), method: method, uri: uri, body: bytes, nowMs: clock.nowMs))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body)
    }

    func get(_ uri: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .get)
    }

    func post(_ uri: String, _ value: some Encodable) async throws -> TestResponse {
        let data = try WireJSON.encoder.encode(value)
        return try await post(uri, raw: data)
    }

    func post(_ uri: String, raw: String) async throws -> TestResponse {
        try await post(uri, raw: Data(raw.utf8))
    }

    func post(_ uri: String, raw: Data) async throws -> TestResponse {
        try await execute(
            uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: raw))
    }

    func put(_ uri: String, _ value: some Encodable) async throws -> TestResponse {
        try await put(uri, raw: String(decoding: try WireJSON.encoder.encode(value), as: UTF8.self))
    }

    func put(_ uri: String, raw: String) async throws -> TestResponse {
        try await execute(
            uri: uri, method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: raw))
    }

    // MARK: Decoding

    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try WireJSON.decoder.decode(T.self, from: response.data)
    }

    /// Decodes a success answer, checking its status and media type first.
    func ok<T: Decodable>(
        _ type: T.Type, _ response: TestResponse, status: HTTPResponse.Status = .ok,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> T {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        return try decode(T.self, response)
    }

    /// Checks that `response` is the problem `code` (status, media type, `code` and `type` members).
    @discardableResult
    func expectProblem(
        _ response: TestResponse, _ code: ProblemCode, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Problem {
        #expect(response.status == code.status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == Problem.contentType, sourceLocation: sourceLocation)
        let object = try JSONSerialization.jsonObject(with: response.data) as? [String: Any]
        #expect(object?["code"] as? String == code.rawValue, sourceLocation: sourceLocation)
        let problem = try decode(Problem.self, response)
        #expect(problem.code == code, sourceLocation: sourceLocation)
        #expect(problem.type == "urn:flashsale:problem:\(code.rawValue)", sourceLocation: sourceLocation)
        #expect(problem.status == Int(code.status.code), sourceLocation: sourceLocation)
        return problem
    }

    /// Sends a request that must be refused with `code`, and checks that nothing changed.
    @discardableResult
    func expectRefused(
        _ code: ProblemCode, sourceLocation: SourceLocation = #_sourceLocation,
        _ request: () async throws -> TestResponse
    ) async throws -> Problem {
        let before = try await snapshot()
        let problem = try expectProblem(try await request(), code, sourceLocation: sourceLocation)
        let after = try await snapshot()
        #expect(after == before, "a refused request changed the state", sourceLocation: sourceLocation)
        return problem
    }

    // MARK: Typed reads and writes

    func config() async throws -> ClusterConfig { try ok(ClusterConfig.self, try await get("/v1/config")) }
    func version() async throws -> Int64 { try await config().version }
    func regions() async throws -> [RegionSpec] { try ok([RegionSpec].self, try await get("/v1/regions")) }
    func units() async throws -> [UnitSpec] { try ok([UnitSpec].self, try await get("/v1/units")) }
    func sales() async throws -> [SaleStatus] { try ok([SaleStatus].self, try await get("/v1/sales")) }

    func status(_ sale: String) async throws -> SaleStatus {
        try ok(SaleStatus.self, try await get("/v1/sales/\(sale)/status"))
    }

    func snapshot() async throws -> Snapshot {
        Snapshot(config: try await config(), units: try await units(), sales: try await sales())
    }

    @discardableResult
    func addRegion(_ id: String, endpoint: String? = nil) async throws -> RegionSpec {
        try ok(RegionSpec.self, try await post("/v1/regions", RegionSpec(id: id, endpoint: endpoint)), status: .created)
    }

    @discardableResult
    func addUnit(_ id: String, region: String, url: String? = nil) async throws -> UnitSpec {
        try ok(
            UnitSpec.self, try await post("/v1/units", UnitSpec(id: id, region: region, url: url, publicKey: TestKeys.key(id).publicKey)),
            status: .created)
    }

    @discardableResult
    func createSale(_ spec: SaleSpec) async throws -> SaleStatus {
        try ok(SaleStatus.self, try await post("/v1/sales", spec), status: .created)
    }

    @discardableResult
    func allocate(_ sale: String, _ spec: AllocationSpec) async throws -> SaleStatus {
        try ok(SaleStatus.self, try await post("/v1/sales/\(sale)/allocations", spec))
    }

    /// Regions and units: `layout` maps each region to its unit ids.
    func addCluster(_ layout: [String: [String]]) async throws {
        for (region, units) in layout.sorted(by: { $0.key < $1.key }) {
            try await addRegion(region)
            for unit in units { try await addUnit(unit, region: region, url: "http://127.0.0.1:8000/\(unit)") }
        }
    }
}

/// A valid sale, open at the test's start for an hour.
func saleSpec(
    _ id: String = "s1", title: String = "Phone", stock: Int64 = 100, startsAt: Date = Fixed.at(-60),
    endsAt: Date = Fixed.at(3600), perUserLimit: Int = 1
) -> SaleSpec {
    SaleSpec(id: id, title: title, stock: stock, startsAt: startsAt, endsAt: endsAt, perUserLimit: perUserLimit)
}

extension SaleStatus {
    /// The status line of `unit`.
    func unit(_ id: String) -> UnitSaleStatus? { units.first { $0.unit == id } }

    /// What the center granted to each unit (units with nothing granted left out).
    var allocations: [String: Int64] {
        Dictionary(uniqueKeysWithValues: units.filter { $0.allocated > 0 }.map { ($0.unit, $0.allocated) })
    }
}

extension TestResponse {
    var data: Data { Data(body.readableBytesView) }
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}

/// Body of an exit test (run in a child process, where a trap cannot take the test runner down): on a fresh
/// center with regions eu (eu-1) and us (us-1) and sale s1 (stock 100, 10 granted to eu-1), sends `steps` in
/// order — each `["GET", uri]` or `["POST", uri, json]` — and exits 3 when any answer is a 5xx. Returning
/// normally exits 0; a crash is a failure exit.
func runSteps(_ steps: [[String]], in dir: String) async throws {
    try await withCenter(in: dir) { center in
        try await center.addCluster(["eu": ["eu-1"], "us": ["us-1"]])
        try await center.createSale(saleSpec("s1", stock: 100))
        try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
        for step in steps {
            let response = step[0] == "GET" ? try await center.get(step[1]) : try await center.post(step[1], raw: step[2])
            if response.status.code >= 500 { exit(3) }
        }
    }
}

/// Runs `steps` (see `runSteps`) in a child process and expects it to exit normally, with no 5xx answer.
/// The parent removes the child's database folder, which a crashed child leaves behind.
func expectSurvives(_ steps: [[String]], sourceLocation: SourceLocation = #_sourceLocation) async {
    let dir = temporaryDirectoryPath()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    await #expect(processExitsWith: .success, sourceLocation: sourceLocation) {
        [steps = steps as [[String]], dir = dir as String] in
        try await runSteps(steps, in: dir)
    }
}
