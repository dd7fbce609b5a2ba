// The stable error codes of every HTTP API in the cluster: scripts and buyers' apps match on these.

public import HTTPTypes

/// A stable, documented reason for a refusal. The raw value is the `code` member and the last part of the
/// `type` URI of an application/problem+json answer; it never changes once shipped.
public enum ProblemCode: String, Sendable, Codable, CaseIterable {
    case invalidInput = "invalid-input"
    case payloadTooLarge = "payload-too-large"
    case notFound = "not-found"
    case methodNotAllowed = "method-not-allowed"
    case unknownSale = "unknown-sale"
    case unknownOrder = "unknown-order"
    case unknownRegion = "unknown-region"
    case unknownUnit = "unknown-unit"
    case saleNotStarted = "sale-not-started"
    case saleEnded = "sale-ended"
    case salePaused = "sale-paused"
    case alreadyBought = "already-bought"
    case soldOut = "sold-out"
    case orderNotPersisted = "order-not-persisted"
    case custodyPending = "custody-pending"
    case rebalancing = "rebalancing"
    case unitRecovering = "unit-recovering"
    case notReady = "not-ready"
    case unauthorized = "unauthorized"
    case forbidden = "forbidden"
    case tokenRequired = "token-required"
    case tokenInvalid = "token-invalid"
    case tokenExpired = "token-expired"
    case tokenNotYetValid = "token-not-yet-valid"
    case wrongRegion = "wrong-region"
    case wrongUnit = "wrong-unit"
    case rateLimited = "rate-limited"
    case blacklisted = "blacklisted"
    case levelTooLow = "level-too-low"
    case accountTooNew = "account-too-new"
    case captchaRequired = "captcha-required"
    case captchaInvalid = "captcha-invalid"
    case captchaExpired = "captcha-expired"
    case captchaReused = "captcha-reused"
    case idempotencyKeyMismatch = "idempotency-key-mismatch"
    case idempotencyInProgress = "idempotency-in-progress"
    case orderExpired = "order-expired"
    case orderCancelled = "order-cancelled"
    case orderPaid = "order-paid"
    case notOrderOwner = "not-order-owner"
    case alreadyExists = "already-exists"
    case conflict = "conflict"
    case allocationExceedsStock = "allocation-exceeds-stock"
    case invalidAllocation = "invalid-allocation"
    case regionWithoutUnits = "region-without-units"
    case internalError = "internal-error"

    /// The HTTP status that always goes with this code.
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidInput, .invalidAllocation: .badRequest
        case .payloadTooLarge: .contentTooLarge
        case .notFound, .unknownSale, .unknownOrder, .unknownRegion, .unknownUnit: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .saleNotStarted: .forbidden
        case .saleEnded, .alreadyBought, .alreadyExists, .conflict, .allocationExceedsStock, .regionWithoutUnits:
            .conflict
        case .soldOut: .gone
        case .orderNotPersisted, .custodyPending, .rebalancing, .unitRecovering, .salePaused, .notReady: .serviceUnavailable
        case .unauthorized, .tokenRequired, .tokenInvalid, .tokenExpired, .tokenNotYetValid: .unauthorized
        case .wrongRegion, .wrongUnit: .misdirectedRequest
        case .rateLimited: .tooManyRequests
        case .blacklisted, .levelTooLow, .accountTooNew, .captchaRequired, .captchaInvalid, .captchaExpired,
            .captchaReused:
            .forbidden
        case .idempotencyKeyMismatch: .unprocessableContent
        case .idempotencyInProgress, .orderExpired, .orderCancelled, .orderPaid: .conflict
        case .notOrderOwner, .forbidden: .forbidden
        case .internalError: .internalServerError
        }
    }

    /// A short human summary that does not change from one occurrence to the next (RFC 9457 `title`).
    public var title: String {
        switch self {
        case .invalidInput: "The request is not valid"
        case .payloadTooLarge: "The request body is too large"
        case .notFound: "No such resource"
        case .methodNotAllowed: "Method not allowed here"
        case .unknownSale: "No such sale"
        case .unknownOrder: "No such order"
        case .unknownRegion: "No such region"
        case .unknownUnit: "No such unit"
        case .saleNotStarted: "The sale has not started"
        case .saleEnded: "The sale has ended"
        case .salePaused: "The sale is paused"
        case .alreadyBought: "You already hold the most this sale allows"
        case .soldOut: "Sold out"
        case .orderNotPersisted: "The order could not be saved; nothing was sold"
        case .custodyPending: "Your order's safekeeping is changing hands; try again with the same Idempotency-Key"
        case .rebalancing: "No stock here right now; stock is being moved here from other units"
        case .unitRecovering: "This unit is restoring its state; try again shortly"
        case .notReady: "Not ready to serve yet"
        case .unauthorized: "The request is not authenticated"
        case .forbidden: "The credential's role does not allow this"
        case .tokenRequired: "This sale needs a buyer token"
        case .tokenInvalid: "The buyer token is not valid"
        case .tokenExpired: "The buyer token has expired"
        case .tokenNotYetValid: "The buyer token is not valid yet"
        case .wrongRegion: "This buyer belongs to another region"
        case .wrongUnit: "This buyer is served by another unit of this region"
        case .rateLimited: "Too many attempts; slow down"
        case .blacklisted: "This buyer may not take part in sales"
        case .levelTooLow: "This sale needs a higher buyer level"
        case .accountTooNew: "This sale needs an older account"
        case .captchaRequired: "This sale needs a solved challenge"
        case .captchaInvalid: "The challenge solution is not valid"
        case .captchaExpired: "The challenge has expired"
        case .captchaReused: "The challenge solution was used already"
        case .idempotencyKeyMismatch: "This idempotency key was used for another request"
        case .idempotencyInProgress: "The first request with this idempotency key is still being processed"
        case .orderExpired: "The order's payment window has closed"
        case .orderCancelled: "The order was cancelled"
        case .orderPaid: "The order is paid"
        case .notOrderOwner: "This order belongs to another buyer"
        case .alreadyExists: "It exists already, with other settings"
        case .conflict: "The request conflicts with the current state"
        case .allocationExceedsStock: "Allocation is larger than the stock left to allocate"
        case .invalidAllocation: "The allocation is not valid"
        case .regionWithoutUnits: "The region has no units to allocate to"
        case .internalError: "Internal error"
        }
    }

    /// The `type` URI of the problem document.
    public var typeURI: String { "urn:flashsale:problem:\(rawValue)" }
}
