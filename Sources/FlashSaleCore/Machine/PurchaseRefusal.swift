// Every reason a purchase is refused, in one place.

/// Why a purchase was refused, by the machine (sale, stock, limit, idempotency) or by the filters in front of it
/// (request, token, owner, rate, eligibility, proof of work). The raw value is the stable problem code buyers' apps
/// match on; the HTTP status (`ProblemCode.status` in FlashSaleAPI), the `outcome` label of
/// `flashsale_purchases_total` and the purchase operation's enumeration in the unit's OpenAPI document all follow
/// from this type (a test holds the document to it). Adding a refusal is adding a case here.
public enum PurchaseRefusal: String, Sendable, CaseIterable {
    // The request itself.
    case invalidInput = "invalid-input"
    case payloadTooLarge = "payload-too-large"
    // The sale, before any buyer.
    case unknownSale = "unknown-sale"
    case saleNotStarted = "sale-not-started"
    case saleEnded = "sale-ended"
    case salePaused = "sale-paused"
    case unitRecovering = "unit-recovering"
    // Who the buyer is and whether this unit serves them.
    case tokenRequired = "token-required"
    case tokenInvalid = "token-invalid"
    case tokenExpired = "token-expired"
    case tokenNotYetValid = "token-not-yet-valid"
    case wrongRegion = "wrong-region"
    case wrongUnit = "wrong-unit"
    // Whether the buyer may buy now.
    case rateLimited = "rate-limited"
    case blacklisted
    case levelTooLow = "level-too-low"
    case accountTooNew = "account-too-new"
    case captchaRequired = "captcha-required"
    case captchaInvalid = "captcha-invalid"
    case captchaExpired = "captcha-expired"
    case captchaReused = "captcha-reused"
    // The machine's decision.
    case idempotencyKeyMismatch = "idempotency-key-mismatch"
    case idempotencyInProgress = "idempotency-in-progress"
    case alreadyBought = "already-bought"
    case soldOut = "sold-out"
    case rebalancing
    case orderNotPersisted = "order-not-persisted"
    case custodyPending = "custody-pending"

    /// Position in `allCases`, for counters kept in an array (a refusal flood pays no hashing to be counted).
    public var ordinal: Int {
        // A comparison of enum tags per case: at most 28, no string is read.
        Self.allCases.firstIndex(of: self) ?? 0
    }
}

extension PurchaseOutcome {
    /// The refusal this outcome is, or nil for an order (new or replayed).
    public var refusal: PurchaseRefusal? {
        switch self {
        case .created, .replayed: nil
        case .idempotencyKeyMismatch: .idempotencyKeyMismatch
        case .idempotencyInProgress: .idempotencyInProgress
        case .alreadyBought: .alreadyBought
        case .soldOut: .soldOut
        case .rebalancing: .rebalancing
        case .notStarted: .saleNotStarted
        case .ended: .saleEnded
        case .paused: .salePaused
        case .unknownSale: .unknownSale
        case .recovering: .unitRecovering
        case .notPersisted: .orderNotPersisted
        case .custodyPending: .custodyPending
        }
    }
}
