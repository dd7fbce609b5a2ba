// The browser pages the processes serve (the operator's dashboard, the buyer's page): bytes compiled into the
// binary, sent with headers that keep them to their own origin.

import HTTPTypes
public import Hummingbird

/// One file a browser loads: an HTML page, its script or its style sheet.
///
/// Every page is sent with a Content-Security-Policy that allows scripts, styles, workers and fetches only from the
/// page's own origin and nothing inline, so an injected string can neither run script nor send a buyer's token
/// elsewhere. The pages keep every script and style in files of their own for that reason.
public struct BrowserAsset: Sendable {
    /// What the pages may load: their own origin's scripts, workers, styles and API, nothing else.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    // A field name that is a valid token by its letters alone: the unwrap cannot fail, and no input reaches it.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    public let contentType: String
    private let body: ByteBuffer

    public init(contentType: String, bytes: [UInt8]) {
        self.contentType = contentType
        self.body = ByteBuffer(bytes: bytes)
    }

    /// An HTML page, UTF-8.
    public static func html(_ bytes: [UInt8]) -> BrowserAsset { BrowserAsset(contentType: "text/html; charset=utf-8", bytes: bytes) }
    /// A script (page script or worker), UTF-8.
    public static func javaScript(_ bytes: [UInt8]) -> BrowserAsset {
        BrowserAsset(contentType: "text/javascript; charset=utf-8", bytes: bytes)
    }
    /// A style sheet, UTF-8.
    public static func css(_ bytes: [UInt8]) -> BrowserAsset { BrowserAsset(contentType: "text/css; charset=utf-8", bytes: bytes) }

    /// The answer: the file with its type, the policy, no sniffing, no referrer, and revalidation on every load (a
    /// new binary serves new files at the same paths).
    public var response: Response {
        Response(
            status: .ok,
            headers: [
                .contentType: contentType, .contentSecurityPolicy: Self.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff", Self.referrerPolicy: "no-referrer", .cacheControl: "no-cache",
            ],
            body: .init(byteBuffer: body))
    }
}
