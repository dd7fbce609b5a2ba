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
        // Written digit by digit into one new string: this names every order the unit writes and answers (twice per
        // order), and the numbers' own descriptions cost more than the rest of the order's answer.
        guard milliseconds >= 0, sequence >= 0 else { return "\(unit.rawValue)-\(milliseconds)-\(sequence)" }
        let unit = unit.rawValue.utf8
        return String(unsafeUninitializedCapacity: unit.count + 2 + 2 * Self.maxDigits) { buffer in
            var end = buffer.initialize(fromContentsOf: unit)
            buffer[end] = UInt8(ascii: "-")
            end = Self.write(milliseconds, into: buffer, at: end + 1)
            buffer[end] = UInt8(ascii: "-")
            return Self.write(sequence, into: buffer, at: end + 1)
        }
    }

    /// Digits of the largest `Int64`.
    private static let maxDigits = 19

    /// Writes `value` (not negative) in decimal at `start`; returns the index after its last digit.
    private static func write(_ value: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var left = value
        var index = start + digits
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: left % 10)
            left /= 10
        } while left > 0
        return start + digits
    }

    /// Position in the unit's log; ids of different units are ordered by unit first.
    public static func < (lhs: OrderID, rhs: OrderID) -> Bool {
        (lhs.unit, lhs.milliseconds, lhs.sequence) < (rhs.unit, rhs.milliseconds, rhs.sequence)
    }
}
