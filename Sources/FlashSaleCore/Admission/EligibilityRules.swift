// Who may buy in a sale at all: a minimum buyer level and a minimum account age, as an operator sets them.

/// Optional gates a sale puts on buyers, checked on the hot path from the buyer token's claims. Nil means no
/// gate. Decoding does not validate: check `violation` before accepting rules.
public struct EligibilityRules: Sendable, Hashable, Codable {
    /// Highest minimum level accepted: a sanity cap that catches typos, well above any real level scheme.
    public static let minLevelMax = 10_000
    /// Longest minimum account age accepted (about a century): it also keeps the check's arithmetic small.
    public static let minAccountAgeSecondsMax: Int64 = 100 * 365 * 86_400

    public var minLevel: Int?
    public var minAccountAgeSeconds: Int64?

    public init(minLevel: Int? = nil, minAccountAgeSeconds: Int64? = nil) {
        self.minLevel = minLevel
        self.minAccountAgeSeconds = minAccountAgeSeconds
    }

    /// The first thing wrong with the rules, or nil when they are valid.
    public var violation: String? {
        if let minLevel, minLevel < 0 || minLevel > Self.minLevelMax {
            return "minimum level must be 0-\(Self.minLevelMax)"
        }
        if let minAccountAgeSeconds, minAccountAgeSeconds < 0 || minAccountAgeSeconds > Self.minAccountAgeSecondsMax {
            return "minimum account age must be 0-\(Self.minAccountAgeSecondsMax) seconds"
        }
        return nil
    }
}
