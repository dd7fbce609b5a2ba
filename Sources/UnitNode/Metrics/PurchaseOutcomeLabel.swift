// What a purchase request came to, as the `outcome` label of flashsale_purchases_total.

import FlashSaleAPI
import FlashSaleCore

/// A purchase's answer as a label: a new order, a replay, a refusal (`PurchaseRefusal`: the label is its problem
/// code), or `other`. The set is fixed, so every counter is made when the unit starts and a purchase only indexes
/// an array (`index`) and bumps an atomic.
enum PurchaseOutcomeLabel: Hashable, CaseIterable {
    case created
    case replayed
    case refused(PurchaseRefusal)
    /// A problem code the purchase path does not answer today: counted somewhere rather than nowhere.
    case other

    static let allCases: [PurchaseOutcomeLabel] = [.created, .replayed] + PurchaseRefusal.allCases.map(refused) + [.other]

    /// Position in `allCases`.
    var index: Int {
        switch self {
        case .created: 0
        case .replayed: 1
        case .refused(let refusal): 2 + refusal.ordinal
        case .other: 2 + PurchaseRefusal.allCases.count
        }
    }

    /// The label value: `created`, `replayed`, the refusal's problem code, or `other`.
    var name: String {
        switch self {
        case .created: "created"
        case .replayed: "replayed"
        case .refused(let refusal): refusal.rawValue
        case .other: "other"
        }
    }

    init(_ outcome: PurchaseOutcome) {
        switch outcome {
        case .created: self = .created
        case .replayed: self = .replayed
        default: self = outcome.refusal.map(Self.refused) ?? .other
        }
    }

    /// The label of a refusal by the buyer filters (or of a request that was not valid).
    init(_ code: ProblemCode) {
        self = PurchaseRefusal(code).map(Self.refused) ?? .other
    }
}
