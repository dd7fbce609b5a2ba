// A config-center and units as real processes on loopback, with the calls the cluster tests make.

import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import Foundation
import GRDB
import NIOCore
import NIOSSL
import Testing
import TestSupport

/// A config-center and its units, each a child process with its own data directory under `root`. Over HTTPS when
/// made with `tls`: a throwaway CA and a certificate per process (deploy/tls-certs.sh, as an operator would make
/// them for a rehearsal), every process and client trusting that CA only; plain HTTP, said by `--plain-http`,
/// otherwise.
final class LocalCluster {
    let root: String
    let centerPort: Int
    let http: HTTPClient
    /// The folder of the CA and the processes' certificates when the cluster runs over TLS.
    let tlsFolder: String?
    private(set) var center: ChildProcess?
    private(set) var units: [String: ChildProcess] = [:]
    private var unitPorts: [String: Int] = [:]
    private var unitRegions: [String: String] = [:]
    /// The public key each unit was enrolled with here: a unit whose data (and so key) is new is enrolled again.
    private var enrolledKeys: [String: String] = [:]

    init(tls: Bool = false) throws {
        // In this test run's folder: the next run deletes it should this process die before `shutdown()`.
        root = try TestRun.makeFolder("cluster")
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        centerPort = try freePort()
        tlsFolder = tls ? root + "/tls" : nil
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        if let tlsFolder {
            // Read when the first connection is made, by which time `startCenter` has made the CA.
            var trust = TLSConfiguration.makeClientConfiguration()
            trust.trustRoots = .file(tlsFolder + "/ca.pem")
            configuration.tlsConfiguration = trust
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        try SecretFile.write(Self.ordersCredential, to: ordersCredentialFile)
        try SecretFile.write(Self.webhookSecret, to: webhookSecretFile)
    }

    /// What the units serve their order logs to (`--orders-credential-file`), and the file that holds it.
    static let ordersCredential = "orders-credential-of-the-cluster-tests"
    var ordersCredentialFile: String { root + "/orders.credential" }
    /// The payment provider's webhook secret the units check callbacks with, and its file.
    static let webhookSecret = "payment-webhook-secret-of-the-cluster-tests"
    var webhookSecretFile: String { root + "/payment-webhook.secret" }

    var scheme: String { tlsFolder == nil ? "http" : "https" }
    var centerURL: String { "\(scheme)://127.0.0.1:\(centerPort)" }
    /// The CA every client of this cluster trusts (FLASHSALE_CA_FILE for the CLI and herd), when it runs over TLS.
    var caFile: String? { tlsFolder.map { $0 + "/ca.pem" } }

    /// The flags that make process `name` serve HTTPS with its own certificate (made here, signed by the cluster's
    /// CA) and trust that CA in its own calls; or serve plain HTTP.
    private func tlsArguments(_ name: String, client: Bool) async throws -> [String] {
        guard let tlsFolder else { return ["--plain-http"] }
        let made = try await runProgram("/bin/bash", [Binaries.packageRoot + "/deploy/tls-certs.sh", tlsFolder, name])
        try #require(made.status == 0, "deploy/tls-certs.sh: \(made.err)")
        let serve = ["--tls-cert", tlsFolder + "/\(name).pem", "--tls-key", tlsFolder + "/\(name).key"]
        return serve + (client ? ["--ca-file", tlsFolder + "/ca.pem"] : [])
    }
    /// The first admin's credential file, which the config-center writes at its first start.
    var credentialFile: String { root + "/center/admin.credential" }
    /// The config-center's client, acting as its first admin.
    var client: ConfigCenterClient {
        ConfigCenterClient(
            baseURL: centerURL, httpClient: http, credential: try? SecretFile.read(credentialFile, what: "credential"))
    }

    func startCenter(extraArguments: [String] = []) async throws {
        center = try ChildProcess(
            binary: "config-center",
            arguments: ["serve", "--listen", "127.0.0.1:\(centerPort)", "--data", root + "/center"]
                + (try await tlsArguments("center", client: false)) + extraArguments,
            logDirectory: root + "/logs", name: "center")
        try await waitForHealth(url: centerURL, process: try #require(center))
    }

    func stopCenter() async {
        await center?.terminate()
        center = nil
    }

    /// Starts (or restarts, on the same data and port) unit `id`, enrolled first as an admin would: its public key
    /// (`flashsale-unit key`) and URL given to the config-center, whose region must exist. `enrol: false` starts it
    /// as it is (with no config-center to enrol at, say).
    func startUnit(_ id: String, region: String, enrol: Bool = true, extraArguments: [String] = []) async throws {
        let port = try unitPorts[id] ?? freePort()
        unitPorts[id] = port
        unitRegions[id] = region
        if enrol { try await self.enrol(id, region: region) }
        let unit = try ChildProcess(
            binary: "flashsale-unit",
            arguments: [
                "--id", id, "--region", region, "--listen", "127.0.0.1:\(port)", "--data", root + "/units/\(id)",
                "--center", centerURL, "--orders-credential-file", ordersCredentialFile,
                "--payment-webhook-secret-file", webhookSecretFile,
            ] + (try await tlsArguments(id, client: true)) + extraArguments,
            logDirectory: root + "/logs", name: id)
        units[id] = unit
        try await waitForHealth(url: unitURL(id), process: unit)
    }

    /// Enrolls unit `id` with the key in its data directory (made there when it has none), unless it already is.
    func enrol(_ id: String, region: String) async throws {
        let printed = try await runProgram(try Binaries.path("flashsale-unit"), ["key", "--data", root + "/units/\(id)"])
        let key = printed.out.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(printed.status == 0 && key.count == 64, "flashsale-unit key: \(printed.err)")
        guard enrolledKeys[id] != key else { return }
        _ = try await client.addUnit(UnitSpec(id: id, region: region, url: unitURL(id), publicKey: key))
        enrolledKeys[id] = key
    }

    func kill9(_ id: String) async { await units.removeValue(forKey: id)?.kill9() }
    /// The running process of unit `id`, for signals the test sends itself.
    func unitProcess(_ id: String) -> ChildProcess? { units[id] }
    /// Everything unit `id` has logged so far (its current process).
    func unitLog(_ id: String) -> String { units[id]?.log ?? "" }
    func stopUnit(_ id: String) async { await units.removeValue(forKey: id)?.terminate() }

    func unitURL(_ id: String) -> String { "\(scheme)://127.0.0.1:\(unitPorts[id] ?? 0)" }
    func unitDatabase(_ id: String) -> String { root + "/units/\(id)/unit.sqlite" }

    /// Waits until the config-center lists `ids` as having reported in.
    func waitForRegistration(_ ids: [String]) async throws {
        try await eventually("units \(ids) registered") {
            let seen = try await self.client.units().filter { $0.lastSeen != nil }.map(\.id)
            return Set(ids).isSubset(of: seen)
        }
    }

    /// Waits until unit `id` offers `stock` of `sale` and is ready: a unit on a new database already shows the stock
    /// it was granted while it takes its own counters back, and answers buyers `503 unit-recovering` until `/readyz`
    /// says it is ready (a lost-database test once bought in that moment).
    func waitForStock(_ id: String, sale: String, stock: Int64) async throws {
        try await eventually("\(id) holds \(stock) of \(sale) and is ready") {
            let (status, body) = try await self.get(self.unitURL(id) + "/v1/sales/\(sale)")
            guard status == 200, try WireJSON.decoder.decode(SaleView.self, from: body).stockLeft == stock else { return false }
            return try await self.get(self.unitURL(id) + "/readyz").status == 200
        }
    }

    // MARK: HTTP

    func purchase(at id: String, sale: String, user: String, idempotencyKey: String? = nil) async throws -> (status: UInt, order: OrderView?) {
        try await Self.purchase(http: http, unitURL: unitURL(id), sale: sale, user: user, idempotencyKey: idempotencyKey)
    }

    /// A purchase with a buyer token, at any URL (a unit's, or the endpoint a 421 answer named).
    func purchase(url: String, sale: String, token: String) async throws -> (status: UInt, problem: Problem?, order: OrderView?) {
        var request = HTTPClientRequest(url: url + "/v1/sales/\(sale)/purchases")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = Data(buffer: try await response.body.collect(upTo: 1 << 16))
        if response.status == .created { return (201, nil, try WireJSON.decoder.decode(OrderView.self, from: body)) }
        return (response.status.code, try? WireJSON.decoder.decode(Problem.self, from: body), nil)
    }

    /// The config-center CLI against this cluster's config-center.
    func cli(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await runCLI(arguments, center: centerURL, credentialFile: credentialFile, caFile: caFile)
    }

    /// A purchase that captures nothing but Sendable values, for concurrent herds.
    static func purchase(
        http: HTTPClient, unitURL: String, sale: String, user: String, idempotencyKey: String? = nil
    ) async throws -> (status: UInt, order: OrderView?) {
        var request = HTTPClientRequest(url: unitURL + "/v1/sales/\(sale)/purchases?user=\(user)")
        request.method = .POST
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = Data(buffer: try await response.body.collect(upTo: 1 << 16))
        let order = response.status == .created ? try WireJSON.decoder.decode(OrderView.self, from: body) : nil
        return (response.status.code, order)
    }

    /// A GET, as a fulfilment consumer (the units' orders credential) with `consumer`.
    func get(_ url: String, consumer: Bool = false) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: url)
        if consumer { request.headers.add(name: "Authorization", value: "Bearer \(Self.ordersCredential)") }
        let response = try await http.execute(request, timeout: .seconds(10))
        return (response.status.code, Data(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// Counts in unit `id`'s database, read directly from its file.
    func stored(_ id: String, sale: String) throws -> (orders: Int, sold: Int64, received: Int64, orderIDs: Set<String>) {
        let queue = try DatabaseQueue(path: unitDatabase(id))
        return try queue.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE sale_id = ?", arguments: [sale]) ?? -1,
                try Int64.fetchOne(db, sql: "SELECT sold FROM unit_stock WHERE sale_id = ?", arguments: [sale]) ?? -1,
                try Int64.fetchOne(db, sql: "SELECT received FROM unit_stock WHERE sale_id = ?", arguments: [sale]) ?? -1,
                Set(try String.fetchAll(db, sql: "SELECT id FROM orders WHERE sale_id = ?", arguments: [sale]))
            )
        }
    }

    /// Waits until `process` answers /healthz. Generous: the whole suite shares two cores with the simulation.
    private func waitForHealth(url: String, process: ChildProcess) async throws {
        let started = Date()
        var lastError = "no answer yet"
        while Date().timeIntervalSince(started) < 90 {
            guard process.isRunning else {
                Issue.record("\(process.name) exited before it was healthy:\n\(process.log)")
                throw CancellationError()
            }
            do {
                let status = try await get(url + "/healthz").status
                if status == 200 { return }
                lastError = "HTTP \(status)"
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(process.name) not healthy at \(url) after 90 s (last: \(lastError)); its log:\n\(process.log)")
        throw CancellationError()
    }

    /// Runs `body` with a new cluster, then stops every process and removes the data, also when `body` throws.
    static func run(tls: Bool = false, _ body: (LocalCluster) async throws -> Void) async throws {
        let cluster = try LocalCluster(tls: tls)
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    /// Stops every process (SIGTERM), closes the client and removes the data.
    func shutdown() async {
        for unit in units.values { await unit.terminate() }
        units.removeAll()
        await center?.terminate()
        center = nil
        try? await http.shutdown()
        // KEEP_CLUSTER=1 keeps the data and logs of every process for a look after a failure.
        if ProcessInfo.processInfo.environment["KEEP_CLUSTER"] == nil { try? FileManager.default.removeItem(atPath: root) }
    }
}

/// Polls `condition` every 100 ms for up to `seconds`; fails the test with `what` if it never holds. The default is
/// generous on purpose: it bounds a hang, it does not measure speed. What the cluster does in a second on a quiet
/// machine (units returning their stock after a stop) once took over 20 s on a 2-core machine running two test runs
/// at once; a passing test never waits for the bound.
func eventually(_ what: String, seconds: Double = 90, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}
