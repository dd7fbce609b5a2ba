// JSON answers encoded the same way by every route of every process.

public import Foundation
public import HTTPTypes
public import Hummingbird

/// Builds `application/json` responses with `WireJSON`, for any Encodable value (lists included).
public enum WireResponse {
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        try WireAnswer.json(value, status: status).response
    }
}
