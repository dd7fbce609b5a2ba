// Which client a per-address limit counts.

public import NIOCore

/// The client a per-address limit counts (connections, the buyer's address rate): an IPv4 address, or the /64
/// network of an IPv6 address. One host usually owns a whole /64, so counting /128s would let it take a slot (or a
/// rate bucket) per address it makes up. IPv4-mapped IPv6 counts as IPv4.
public enum ClientKey {
    public static func of(_ address: SocketAddress?) -> String {
        switch address {
        case .v4:
            // The numeric address: `host` is only the name the address was made with, empty for an accepted socket.
            return address?.ipAddress ?? "local"
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "local"
        }
    }
}
