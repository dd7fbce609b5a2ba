// What a purchase request came to, as the `outcome` label of flashsale_purchases_total.

import FlashSaleAPI
import FlashSaleCore

/// A purchase's answer as a small integer: a new order, a replay, or the refusal's problem code. The set is fixed,
/// so every counter is made when the unit starts and a purchase only indexes an array and bumps an atomic.
enum PurchaseOutcomeLabel: Int, CaseIterable {
    case created
    case replayed
    case alreadyBought
    case soldOut
    case rebalancing
    case saleNotStarted
    case saleEnded
    case salePaused
    case unknownSale
    case unitRecovering
    case orderNotPersisted
    case idempotencyKeyMismatch
    case idempotencyInProgress
    case invalidInput
    case payloadTooLarge
    case tokenRequired
    case tokenInvalid
    case tokenExpired
    case tokenNotYetValid
    case wrongRegion
    case wrongUnit
    case rateLimited
    case blacklisted
    case levelTooLow
    case accountTooNew
    case captchaRequired
    case captchaInvalid
    case captchaExpired
    case captchaReused
    /// A problem code the purchase path does not answer today: counted somewhere rather than nowhere.
    case other

    /// The label value: `created`, `replayed`, the problem code, or `other`.
    var name: String {
        switch self {
        case .created: "created"
        case .replayed: "replayed"
        case .other: "other"
        default: code?.rawValue ?? "other"
        }
    }

    /// The problem code this label counts, for refusals.
    var code: ProblemCode? {
        switch self {
        case .created, .replayed, .other: nil
        case .alreadyBought: .alreadyBought
        case .soldOut: .soldOut
        case .rebalancing: .rebalancing
        case .saleNotStarted: .saleNotStarted
        case .saleEnded: .saleEnded
        case .salePaused: .salePaused
        case .unknownSale: .unknownSale
        case .unitRecovering: .unitRecovering
        case .orderNotPersisted: .orderNotPersisted
        case .idempotencyKeyMismatch: .idempotencyKeyMismatch
        case .idempotencyInProgress: .idempotencyInProgress
        case .invalidInput: .invalidInput
        case .payloadTooLarge: .payloadTooLarge
        case .tokenRequired: .tokenRequired
        case .tokenInvalid: .tokenInvalid
        case .tokenExpired: .tokenExpired
        case .tokenNotYetValid: .tokenNotYetValid
        case .wrongRegion: .wrongRegion
        case .wrongUnit: .wrongUnit
        case .rateLimited: .rateLimited
        case .blacklisted: .blacklisted
        case .levelTooLow: .levelTooLow
        case .accountTooNew: .accountTooNew
        case .captchaRequired: .captchaRequired
        case .captchaInvalid: .captchaInvalid
        case .captchaExpired: .captchaExpired
        case .captchaReused: .captchaReused
        }
    }

    init(_ outcome: PurchaseOutcome) {
        switch outcome {
        case .created: self = .created
        case .replayed: self = .replayed
        case .idempotencyKeyMismatch: self = .idempotencyKeyMismatch
        case .idempotencyInProgress: self = .idempotencyInProgress
        case .alreadyBought: self = .alreadyBought
        case .soldOut: self = .soldOut
        case .rebalancing: self = .rebalancing
        case .notStarted: self = .saleNotStarted
        case .ended: self = .saleEnded
        case .paused: self = .salePaused
        case .unknownSale: self = .unknownSale
        case .recovering: self = .unitRecovering
        case .notPersisted: self = .orderNotPersisted
        }
    }

    /// The label of a refusal by the buyer filters (or of a request that was not valid). A switch, not a lookup
    /// table: a flood of refused requests pays no hashing for being counted.
    init(_ code: ProblemCode) {
        switch code {
        case .alreadyBought: self = .alreadyBought
        case .soldOut: self = .soldOut
        case .rebalancing: self = .rebalancing
        case .saleNotStarted: self = .saleNotStarted
        case .saleEnded: self = .saleEnded
        case .salePaused: self = .salePaused
        case .unknownSale: self = .unknownSale
        case .unitRecovering: self = .unitRecovering
        case .orderNotPersisted: self = .orderNotPersisted
        case .idempotencyKeyMismatch: self = .idempotencyKeyMismatch
        case .idempotencyInProgress: self = .idempotencyInProgress
        case .invalidInput: self = .invalidInput
        case .payloadTooLarge: self = .payloadTooLarge
        case .tokenRequired: self = .tokenRequired
        case .tokenInvalid: self = .tokenInvalid
        case .tokenExpired: self = .tokenExpired
        case .tokenNotYetValid: self = .tokenNotYetValid
        case .wrongRegion: self = .wrongRegion
        case .wrongUnit: self = .wrongUnit
        case .rateLimited: self = .rateLimited
        case .blacklisted: self = .blacklisted
        case .levelTooLow: self = .levelTooLow
        case .accountTooNew: self = .accountTooNew
        case .captchaRequired: self = .captchaRequired
        case .captchaInvalid: self = .captchaInvalid
        case .captchaExpired: self = .captchaExpired
        case .captchaReused: self = .captchaReused
        default: self = .other
        }
    }
}
