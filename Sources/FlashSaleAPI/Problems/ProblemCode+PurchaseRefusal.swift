// A purchase refusal as a problem code, and back: the code is the refusal's raw value.

public import FlashSaleCore

extension ProblemCode {
    /// The problem code of `refusal` (the same text; every refusal is a code, `PurchaseRefusalTests`).
    public init(_ refusal: PurchaseRefusal) {
        self = ProblemCode(rawValue: refusal.rawValue) ?? .internalError
    }
}

extension PurchaseRefusal {
    /// The refusal a problem code stands for on the purchase route, or nil (a code the route never answers).
    public init?(_ code: ProblemCode) {
        self.init(rawValue: code.rawValue)
    }
}
