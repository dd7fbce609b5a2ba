// The OpenAPI 3.1 documents of the unit and config-center HTTP APIs, as each process serves them.

public import Foundation
public import Hummingbird

/// `unit.openapi.json` and `center.openapi.json` beside this file, compiled into the module (SwiftPM's
/// `.embedInCode` resources): a binary installed on its own (deploy/systemd) still has them, where a resource
/// bundle looked up through `Bundle.module` would be missing and stop the process. Each process serves its
/// document at `GET /openapi.json`; `Tests/*/OpenAPI*` check real answers against them.
public enum OpenAPIDocument: Sendable {
    case unit
    case center

    private static let unitBytes = ByteBuffer(bytes: PackageResources.unit_openapi_json)
    private static let centerBytes = ByteBuffer(bytes: PackageResources.center_openapi_json)

    private var bytes: ByteBuffer {
        switch self {
        case .unit: Self.unitBytes
        case .center: Self.centerBytes
        }
    }

    /// The document's JSON bytes, exactly as shipped.
    public var data: Data { Data(buffer: bytes) }

    /// The unit node's document.
    public static func unit() -> Data { OpenAPIDocument.unit.data }

    /// The config-center's document.
    public static func center() -> Data { OpenAPIDocument.center.data }

    /// The answer to `GET /openapi.json`: the document as `application/json` (readable by any JSON client and by
    /// tools such as schemathesis).
    public var response: Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: bytes))
    }
}
