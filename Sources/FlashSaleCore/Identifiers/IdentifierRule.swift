// What names of regions, units, sales and users may look like, checked once at every boundary.

/// Rules for the names operators and buyers send; they keep ids safe in URLs, logs, SQL and order ids.
public enum IdentifierRule {
    /// Longest region, unit or sale id accepted.
    public static let idMaxLength = 64
    /// Longest user id accepted.
    public static let userIDMaxLength = 128

    /// A region, unit or sale id: 1–64 of `a-z 0-9 -`, starting with a letter or digit.
    /// Lower case only, so that two ids never differ by case alone.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard let first = bytes.first, bytes.count <= idMaxLength, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// A user id: 1–128 printable ASCII characters without spaces, quotes or slashes.
    public static func isValidUserID<S: StringProtocol>(_ id: S) -> Bool {
        // Every purchase checks its buyer: the bytes in place when they are contiguous (a native string's are).
        if let valid = id.utf8.withContiguousStorageIfAvailable({ isValidUserID(bytes: $0) }) { return valid }
        return Array(id.utf8).withUnsafeBufferPointer { isValidUserID(bytes: $0) }
    }

    private static func isValidUserID(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= userIDMaxLength else { return false }
        return bytes.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "/")
                && byte != UInt8(ascii: "\\")
        }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
