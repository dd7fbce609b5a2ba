// The ranges that numbers from the network must fall in, checked where they are decoded.

/// Every number a peer, a unit or a buyer sends is decoded into one of these ranges or refused, so that no
/// arithmetic on it later can overflow or trap: a unit summing pulses, a policy turning a rate into a grant, the
/// config-center adding rows. The bounds are far beyond any real sale and small enough that sums over every entry a
/// message may carry stay far inside `Int64`.
public enum WireBounds {
    /// Stock, rights, grants, sold and returned counts: a sale never has more than this.
    public static let stock: ClosedRange<Int64> = 0...1_000_000_000
    /// Rights a node can still promise: its durable rights minus orders in flight, so briefly below zero.
    public static let available: ClosedRange<Int64> = -1_000_000_000...1_000_000_000
    /// Wall-clock times in milliseconds since 1970, up to the end of the year 9999.
    public static let timeMs: ClosedRange<Int64> = 0...253_402_300_799_999
    /// Rates such as purchase attempts per second: finite, not negative.
    public static let rate: ClosedRange<Double> = 0...1_000_000_000
    /// Entries in one map or list of a message: nodes in a row, rows and digests in a gossip message.
    public static let entriesMax = 10_000
    /// Length in bytes of a nonce or another opaque token.
    public static let tokenBytesMax = 256
}

extension KeyedDecodingContainer {
    /// The integer at `key`, refused unless it is in `range`.
    public func decode(_ type: Int64.Type, forKey key: Key, in range: ClosedRange<Int64>) throws -> Int64 {
        let value = try decode(Int64.self, forKey: key)
        guard range.contains(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// The number at `key`, refused unless it is finite and in `range`.
    public func decode(_ type: Double.Type, forKey key: Key, in range: ClosedRange<Double>) throws -> Double {
        let value = try decode(Double.self, forKey: key)
        guard value.isFinite, range.contains(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(value) is not a finite number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// The collection at `key`, refused when it has more than `maxCount` entries.
    public func decode<T: Decodable & Collection>(_ type: T.Type, forKey key: Key, maxCount: Int) throws -> T {
        let value = try decode(T.self, forKey: key)
        guard value.count <= maxCount else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(value.count) entries, at most \(maxCount)")
        }
        return value
    }

    /// The string at `key`, refused when it is longer than `maxBytes` (UTF-8).
    public func decode(_ type: String.Type, forKey key: Key, maxBytes: Int) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard value.utf8.count <= maxBytes else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "longer than \(maxBytes) bytes")
        }
        return value
    }
}
