// How fast one key (a user, an IP) may try to buy: a refill rate and a burst, as an operator sets them.

/// A token-bucket limit as it travels in sale configuration. Decoding does not validate: check `violation`
/// before accepting one, as the config-center does for every field it stores.
public struct RateLimit: Sendable, Hashable, Codable {
    /// Both numbers must fall in this range; the upper end keeps the bucket's fixed-point arithmetic far from
    /// overflow and is far beyond what one buyer could need.
    public static let valueRange = 1...1_000_000

    /// Tokens added per minute (the sustained rate).
    public var perMinute: Int
    /// Tokens the bucket holds when full: how many attempts may come at once after a quiet spell.
    public var burst: Int

    public init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = burst
    }

    /// The first thing wrong with the limit, or nil when it is valid.
    public var violation: String? {
        let range = "\(Self.valueRange.lowerBound)-\(Self.valueRange.upperBound)"
        if !Self.valueRange.contains(perMinute) { return "rate limit per minute must be \(range)" }
        if !Self.valueRange.contains(burst) { return "rate limit burst must be \(range)" }
        return nil
    }
}
