// An HTTP answer as bytes, for Hummingbird routes and for the purchase handler on the event loop alike.

public import HTTPTypes
public import Hummingbird
public import NIOCore

/// Status, header fields and a body already encoded: what a route answers, before it is a Hummingbird `Response`
/// or `HTTPResponsePart`s written by a channel handler. Answers that are the same every time (sold out, ended) are
/// built once and written as they are.
public struct WireAnswer: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: ByteBuffer

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `value` as `application/json` with `WireJSON`'s settings.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> WireAnswer {
        WireAnswer(
            status: status, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: try WireJSON.encoder.encode(value)))
    }

    /// The answer as a Hummingbird response.
    public var response: Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
