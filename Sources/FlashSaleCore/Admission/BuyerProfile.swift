// What a unit knows about a buyer from their verified token: the inputs of the eligibility check.

/// The claims of a verified buyer token that eligibility looks at, gathered so the check stays a pure function
/// of values the caller already holds.
public struct BuyerProfile: Sendable, Hashable, Codable {
    public var user: String
    public var level: Int
    /// When the account was created, in milliseconds since the Unix epoch (as the identity provider says).
    public var accountCreatedAtMs: Int64

    public init(user: String, level: Int, accountCreatedAtMs: Int64) {
        self.user = user
        self.level = level
        self.accountCreatedAtMs = accountCreatedAtMs
    }
}
