// A sale as the unit's machine sees it at one instant, for status answers.

/// A sale's terms and the stock this unit can still promise.
public struct SaleSnapshot: Sendable, Equatable {
    public let terms: SaleTerms
    public let available: Int64

    public init(terms: SaleTerms, available: Int64) {
        self.terms = terms
        self.available = available
    }
}
