// host:port on 127.0.0.0/8: where herd lets a cluster it starts listen.

/// A loopback address and port, parsed strictly (four decimal octets, the first 127; a port 1-65535 without
/// leading zeros or signs), so two spellings of one address cannot pass as two.
struct LoopbackAddress: Hashable, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Self.decimal(parts[1]), (1...65_535).contains(port) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var values: [Int] = []
        for octet in octets {
            guard let value = Self.decimal(octet), value <= 255 else { return nil }
            values.append(value)
        }
        guard values[0] == 127 else { return nil }
        host = values.map(String.init).joined(separator: ".")
        self.port = port
    }

    var description: String { "\(host):\(port)" }

    /// 1-5 ASCII digits, no leading zero (except "0" itself).
    private static func decimal(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }),
            text == "0" || text.first != "0"
        else { return nil }
        return Int(text)
    }
}
