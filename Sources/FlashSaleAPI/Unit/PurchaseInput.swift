// The body of a purchase, for clients that send JSON rather than `?user=`.

/// `{"user": "..."}`. Until buyer tokens arrive, the user id is taken as given.
public struct PurchaseInput: Sendable, Codable {
    public var user: String
    public init(user: String) { self.user = user }
}
