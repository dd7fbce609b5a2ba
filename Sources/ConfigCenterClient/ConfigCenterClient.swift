// The config-center's HTTP API as Swift calls, for the CLI, the units and the tests.

public import AsyncHTTPClient
public import FlashSaleAPI
import Foundation
import NIOCore
import NIOHTTP1
public import NIOSSL

/// Talks to one config-center over HTTP/JSON. Every refusal comes back as the server's `Problem`, and a
/// config-center that cannot be reached is told apart from one that answered, so callers can exit or retry
/// accordingly.
public struct ConfigCenterClient: Sendable {
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:7000`.
    public let baseURL: String
    private let http: HTTPClient
    /// The operator's bearer credential, sent with every call (nil: only public and unit routes answer).
    private let credential: String?
    /// A unit's id and key: every call is signed as that unit (`NodeRequestSignature`).
    private let signer: (unit: String, key: NodeKey)?
    /// The config-center key a unit accepts configurations from: each one's signature is checked against it.
    private let centerKey: CenterKeyPin?
    /// Time allowed for an ordinary call; long-polls add their wait to it.
    private let timeout: TimeAmount

    /// An HTTP client for talking to a config-center (and, at a unit, to its peers): a short connect timeout, so an
    /// unreachable config-center is reported in about a second instead of after AsyncHTTPClient's default 10 s of
    /// connection retries; `tls` for `https://` URLs (`TLSFiles.client`: the CA file's authorities, or the
    /// system's). The caller shuts it down.
    public static func makeHTTPClient(tls: TLSConfiguration? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        if let tls { configuration.tlsConfiguration = tls }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public init(
        baseURL: String, httpClient: HTTPClient, credential: String? = nil, signer: (unit: String, key: NodeKey)? = nil,
        centerKey: CenterKeyPin? = nil, timeout: Duration = .seconds(10)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = httpClient
        self.credential = credential
        self.signer = signer
        self.centerKey = centerKey
        self.timeout = TimeAmount(timeout)
    }

    // MARK: Configuration (units)

    /// The configuration, once its version is above `after` or when `waitSeconds` have passed (long-poll).
    public func config(after: Int64 = 0, waitSeconds: Int = 0) async throws(ConfigCenterClientError) -> ClusterConfig {
        let path = "/v1/config?after=\(after)&wait=\(waitSeconds)"
        let nonce = ConfigSignature.makeNonce()
        let (headers, data) = try await exchange(
            .GET, path, body: Optional<NoBody>.none, extraTimeSeconds: Int64(waitSeconds),
            extraHeaders: [(ConfigSignature.nonceHeader.rawName, nonce)])
        if let centerKey {
            do {
                try centerKey.check(
                    body: data, nonce: nonce, signature: headers.first(name: ConfigSignature.signatureHeader.rawName),
                    offeredKey: headers.first(name: ConfigSignature.keyHeader.rawName))
            } catch {
                throw .unexpected("configuration refused: \(error)")
            }
        }
        return try decode(data, method: .GET, path: path)
    }

    /// A unit's heartbeat with its own ledger rows.
    public func report(_ report: UnitReport) async throws(ConfigCenterClientError) {
        let _: UnitSpec = try await send(.POST, "/v1/units/\(report.unit)/report", body: report)
    }

    // MARK: Regions and units

    public func addRegion(_ region: RegionSpec) async throws(ConfigCenterClientError) -> RegionSpec {
        try await send(.POST, "/v1/regions", body: region)
    }

    public func regions() async throws(ConfigCenterClientError) -> [RegionSpec] {
        try await send(.GET, "/v1/regions")
    }

    public func addUnit(_ unit: UnitSpec) async throws(ConfigCenterClientError) -> UnitSpec {
        try await send(.POST, "/v1/units", body: unit)
    }

    public func units() async throws(ConfigCenterClientError) -> [UnitSpec] {
        try await send(.GET, "/v1/units")
    }

    // MARK: Sales

    public func createSale(_ sale: SaleSpec) async throws(ConfigCenterClientError) -> SaleStatus {
        try await send(.POST, "/v1/sales", body: sale)
    }

    public func sales() async throws(ConfigCenterClientError) -> [SaleStatus] {
        try await send(.GET, "/v1/sales")
    }

    public func status(sale: String) async throws(ConfigCenterClientError) -> SaleStatus {
        try await send(.GET, "/v1/sales/\(try pathSegment(sale))/status")
    }

    public func allocate(sale: String, _ allocation: AllocationSpec) async throws(ConfigCenterClientError) -> SaleStatus {
        try await send(.POST, "/v1/sales/\(try pathSegment(sale))/allocations", body: allocation)
    }

    public func restock(sale: String, _ restock: RestockSpec) async throws(ConfigCenterClientError) -> SaleStatus {
        try await send(.POST, "/v1/sales/\(try pathSegment(sale))/restock", body: restock)
    }

    /// Pauses, resumes or stops (ends now) a sale: `verb` is "pause", "resume" or "stop".
    public func changeSale(_ sale: String, _ verb: String) async throws(ConfigCenterClientError) -> SaleStatus {
        try await send(.POST, "/v1/sales/\(try pathSegment(sale))/\(try pathSegment(verb))")
    }

    /// Applies a declarative cluster file.
    public func apply(_ document: ClusterDocument) async throws(ConfigCenterClientError) -> ApplyResult {
        try await send(.POST, "/v1/apply", body: document)
    }

    // MARK: Buyers

    /// A buyer token signed by the config-center (for tests, demos and rehearsals).
    public func mintToken(_ request: TokenRequest) async throws(ConfigCenterClientError) -> TokenGrant {
        try await send(.POST, "/v1/tokens", body: request)
    }

    /// A new signing key; units pick it up with the next configuration, without a restart.
    public func rotateTokenKey() async throws(ConfigCenterClientError) -> BuyerTokenKey {
        try await send(.POST, "/v1/token-keys/rotate")
    }

    /// Trusts the shop's identity provider (its JWKS document, `iss`, `aud`, longest lifetime); the answer names any
    /// key of the document that was left out.
    public func setTokenIssuer(_ spec: TokenIssuerSpec) async throws(ConfigCenterClientError) -> TokenIssuer {
        try await send(.PUT, "/v1/token-issuer", body: spec)
    }

    /// The identity provider trusted now (`refused` with `not-found` when none is).
    public func tokenIssuer() async throws(ConfigCenterClientError) -> TokenIssuer {
        try await send(.GET, "/v1/token-issuer")
    }

    /// Stops trusting the identity provider; the one that was trusted.
    public func clearTokenIssuer() async throws(ConfigCenterClientError) -> TokenIssuer {
        try await send(.DELETE, "/v1/token-issuer")
    }

    public func blacklist() async throws(ConfigCenterClientError) -> [String] {
        try await send(.GET, "/v1/blacklist")
    }

    public func addToBlacklist(_ user: String) async throws(ConfigCenterClientError) -> [String] {
        try await send(.PUT, "/v1/blacklist/\(try pathSegment(user))")
    }

    public func removeFromBlacklist(_ user: String) async throws(ConfigCenterClientError) -> [String] {
        try await send(.DELETE, "/v1/blacklist/\(try pathSegment(user))")
    }

    // MARK: Operators

    public func addOperator(_ spec: OperatorSpec) async throws(ConfigCenterClientError) -> OperatorGrant {
        try await send(.POST, "/v1/operators", body: spec)
    }

    public func operators() async throws(ConfigCenterClientError) -> [OperatorView] {
        try await send(.GET, "/v1/operators")
    }

    /// Withdraws a unit's key: it is no member from the next configuration on (an admin's).
    public func revokeUnitKey(_ id: String) async throws(ConfigCenterClientError) -> UnitSpec {
        try await send(.DELETE, "/v1/units/\(try pathSegment(id))/key")
    }

    public func removeOperator(_ name: String) async throws(ConfigCenterClientError) -> [OperatorView] {
        try await send(.DELETE, "/v1/operators/\(try pathSegment(name))")
    }

    // MARK: Transport

    private struct NoBody: Encodable {}

    private func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, extraTimeSeconds: Int64 = 0
    ) async throws(ConfigCenterClientError) -> Answer {
        try await send(method, path, body: Optional<NoBody>.none, extraTimeSeconds: extraTimeSeconds)
    }

    private func send<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: Body?, extraTimeSeconds: Int64 = 0
    ) async throws(ConfigCenterClientError) -> Answer {
        let (_, data) = try await exchange(method, path, body: body, extraTimeSeconds: extraTimeSeconds)
        return try decode(data, method: method, path: path)
    }

    private func decode<Answer: Decodable>(
        _ data: Data, method: HTTPMethod, path: String
    ) throws(ConfigCenterClientError) -> Answer {
        do {
            return try WireJSON.decoder.decode(Answer.self, from: data)
        } catch {
            throw .unexpected("cannot read the answer to \(method) \(path): \(error)")
        }
    }

    /// Sends the request (signed when the client has a signer) and returns a success answer's headers and bytes;
    /// a refusal is thrown as its problem.
    private func exchange<Body: Encodable>(
        _ method: HTTPMethod, _ path: String, body: Body?, extraTimeSeconds: Int64,
        extraHeaders: [(String, String)] = []
    ) async throws(ConfigCenterClientError) -> (HTTPHeaders, Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Accept", value: "application/json, application/problem+json")
        if let credential { request.headers.add(name: "Authorization", value: "Bearer \(credential)") }
        var sent = Data()
        if let body {
            do { sent = try WireJSON.encoder.encode(body) } catch { throw .unexpected("cannot encode request: \(error)") }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: sent))
        }
        if let signer {
            do {
                let headers = try NodeRequestSignature.headers(
                    node: signer.unit, key: signer.key, method: method.rawValue, path: path,
                    timeMs: Date().millisecondsSince1970, body: sent)
                for header in headers { request.headers.add(name: header.name, value: header.value) }
            } catch {
                throw .unexpected("cannot sign the request: \(error)")
            }
        }
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let bytes: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout + .seconds(extraTimeSeconds))
            status = response.status
            headers = response.headers
            bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch {
            throw .unreachable("\(baseURL): \(error)")
        }
        let data = Data(buffer: bytes)
        guard (200..<300).contains(Int(status.code)) else {
            if let problem = try? WireJSON.decoder.decode(Problem.self, from: data) { throw .refused(problem) }
            throw .unexpected("HTTP \(status.code) without a problem document: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return (headers, data)
    }

    private func pathSegment(_ id: String) throws(ConfigCenterClientError) -> String {
        guard let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) else {
            throw .unexpected("cannot put '\(id)' in a URL")
        }
        return escaped
    }
}
