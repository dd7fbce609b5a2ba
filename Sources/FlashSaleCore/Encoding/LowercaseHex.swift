// Lowercase hex for signatures and hashes on the wire (gossip seals, proof-of-work salts and challenges).

/// Hex as ALTCHA and our gossip write it: lowercase only. Decoding refuses uppercase so that each value has exactly
/// one spelling; a signature is the key of `SpentChallenges`, and two spellings of one signature would spend twice.
public enum LowercaseHex {
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        if let hex = bytes.withContiguousStorageIfAvailable({ string(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { string($0) }
    }

    /// `bytes` in hex, written straight into the string's storage: one allocation (an order's secret is made for
    /// every 201).
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { utf8 in
            var index = 0
            for byte in bytes {
                utf8[index] = digit(byte >> 4)
                utf8[index + 1] = digit(byte & 0x0f)
                index += 2
            }
            return index
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// The bytes of `hex`, or nil when it has an odd length or anything but `0-9a-f`.
    public static func bytes(_ hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    public static func isLowercaseHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { nibble($0) != nil }
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
