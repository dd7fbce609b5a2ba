// How one buyer of the herd ended.

/// The last word a buyer got. Every buyer the herd started has exactly one.
enum BuyerOutcome: Hashable, Sendable {
    /// A 201: the buyer holds an order.
    case ordered
    /// 409 already-bought: the buyer held an order already (a rerun with the same names).
    case alreadyBought
    /// 410 sold-out: no stock left anywhere.
    case soldOut
    /// A final refusal other than those, with its problem code.
    case refused(String)
    /// The buyer ran out of retries or redirects; the last code it got.
    case gaveUp(String)
    /// The time limit came before a final answer.
    case timeLimit

    /// The outcome as the report shows it.
    var label: String {
        switch self {
        case .ordered: "ordered"
        case .alreadyBought: "already-bought"
        case .soldOut: "sold-out"
        case .refused(let code): "refused: \(code)"
        case .gaveUp(let code): "gave up: \(code)"
        case .timeLimit: "time limit"
        }
    }
}
