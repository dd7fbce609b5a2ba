// A buyer token asked of the config-center, for tests, demos and rehearsals.

public import Foundation

/// The body of `POST /v1/tokens`: who the buyer is. The config-center signs with its newest key.
public struct TokenRequest: Sendable, Codable, Equatable {
    /// Longest lifetime of a minted token.
    public static let ttlSecondsMax = 7 * 86_400

    public var user: String
    public var region: String
    public var level: Int
    public var accountCreatedAt: Date
    /// Lifetime in seconds; one hour when absent.
    public var ttlSeconds: Int?

    public init(user: String, region: String, level: Int = 0, accountCreatedAt: Date, ttlSeconds: Int? = nil) {
        self.user = user
        self.region = region
        self.level = level
        self.accountCreatedAt = accountCreatedAt
        self.ttlSeconds = ttlSeconds
    }
}

/// A minted token and when it stops working.
public struct TokenGrant: Sendable, Codable, Equatable {
    public var token: String
    public var kid: String
    public var expiresAt: Date

    public init(token: String, kid: String, expiresAt: Date) {
        self.token = token
        self.kid = kid
        self.expiresAt = expiresAt
    }
}
