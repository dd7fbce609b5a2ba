// Order ids ordered within their unit, like a Redis stream id with the unit in front.

/// `<unit>-<ms>-<seq>`: the unit that took the order, the millisecond it was taken and a sequence number within
/// that millisecond. Ids of one unit sort by (ms, seq), the order in which the unit appended them to its log.
public struct OrderID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let unit: NodeID
    public let milliseconds: Int64
    public let sequence: Int64

    public init(unit: NodeID, milliseconds: Int64, sequence: Int64) {
        self.unit = unit
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<unit>-<ms>-<seq>`; the unit id itself may contain dashes. Nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3,
            let ms = Self.canonicalNumber(parts[parts.count - 2]),
            let seq = Self.canonicalNumber(parts[parts.count - 1])
        else { return nil }
        let unit = parts.dropLast(2).joined(separator: "-")
        guard IdentifierRule.isValidID(unit) else { return nil }
        self.init(unit: NodeID(unit), milliseconds: ms, sequence: seq)
    }

    /// A non-negative number written the one way `description` writes it: digits only, no leading zero.
    /// One order must have one name, so "05" and "+5" are not accepted for 5.
    private static func canonicalNumber(_ text: Substring) -> Int64? {
        guard let first = text.utf8.first, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            first != UInt8(ascii: "0") || text.utf8.count == 1
        else { return nil }
        return Int64(text)
    }

    public var description: String {
        // Appended, not interpolated: this names every order the unit writes and answers.
        var text = unit.rawValue
        text.reserveCapacity(text.utf8.count + 42)
        text.append("-")
        text.append(String(milliseconds))
        text.append("-")
        text.append(String(sequence))
        return text
    }

    /// Position in the unit's log; ids of different units are ordered by unit first.
    public static func < (lhs: OrderID, rhs: OrderID) -> Bool {
        (lhs.unit, lhs.milliseconds, lhs.sequence) < (rhs.unit, rhs.milliseconds, rhs.sequence)
    }
}
