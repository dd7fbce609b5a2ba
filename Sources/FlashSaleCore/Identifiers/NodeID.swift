// A node of a sale's stock-rights counter: the config-center or one unit.

/// Names a node that can hold stock rights: the config-center (`NodeID.center`) or a unit.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    /// The unit's or the center's identifier, as it appears in configuration and order ids.
    public let rawValue: String

    /// The config-center: the only node that mints stock.
    public static let center = NodeID("center")

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Decoded only when it is a valid id (`IdentifierRule`): a node id from the network is a dictionary key and a
    /// database value, so its length and characters are bounded before anything stores it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard IdentifierRule.isValidID(raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a node id: \(raw.prefix(80).debugDescription)")
        }
        self.rawValue = raw
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var codingKey: any CodingKey { NodeIDKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        guard IdentifierRule.isValidID(codingKey.stringValue) else { return nil }
        self.rawValue = codingKey.stringValue
    }
}

private struct NodeIDKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
