// RFC 9457 problem details: the one shape of every error answer in the cluster.

public import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An application/problem+json document, thrown by handlers and clients alike; `ProblemMiddleware` sends it.
public struct Problem: Error, Sendable, Codable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    /// The stable code (also the last part of `type`).
    public var code: ProblemCode
    /// Seconds a client should wait before trying again (also sent as Retry-After).
    public var retryAfterSeconds: Int?
    /// When a not-yet-started sale opens.
    public var startsAt: Date?
    /// The order a buyer already holds (already-bought).
    public var order: OrderView?
    /// Where to send the request instead (wrong-region, wrong-unit): a regional endpoint or a unit's URL.
    public var endpoint: String?
    /// The region or unit that serves this buyer (wrong-region, wrong-unit).
    public var owner: String?

    public init(
        _ code: ProblemCode, _ detail: String? = nil, retryAfterSeconds: Int? = nil, startsAt: Date? = nil,
        order: OrderView? = nil, endpoint: String? = nil, owner: String? = nil
    ) {
        self.type = code.typeURI
        self.title = code.title
        self.status = Int(code.status.code)
        self.detail = detail
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
        self.startsAt = startsAt
        self.order = order
        self.endpoint = endpoint
        self.owner = owner
    }

    /// The media type of the body.
    public static let contentType = "application/problem+json"
}

extension Problem {
    /// The answer as sent: status, problem+json body, Retry-After when set. Cheap enough to precompute and
    /// reuse on hot paths (a sold-out answer is the same bytes every time).
    public var answer: WireAnswer {
        var headers: HTTPFields = [.contentType: Self.contentType]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        // RFC 6750: a 401 names the scheme the client must use.
        if code.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let body = (try? WireJSON.encoder.encode(self)) ?? Data(#"{"code":"internal-error"}"#.utf8)
        return WireAnswer(status: code.status, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// `answer` as a Hummingbird response.
    public func encodedResponse() -> Response { answer.response }
}
