// Which peers may say who the client is (X-Forwarded-For), and the client a per-address limit then counts.

import Foundation
public import NIOCore

/// The load balancers and proxies in front of a server (`--trusted-proxy CIDR`, repeatable). Behind one, every
/// buyer arrives from the proxy's address, so a per-address rate limit would put the whole crowd in one bucket.
/// A request from a trusted proxy is counted by the address it names in `X-Forwarded-For`: the rightmost entry
/// that is not itself a trusted proxy (each proxy appends the address it saw; entries further left were written by
/// the client and prove nothing). Anyone else's `X-Forwarded-For` is ignored, so a bot cannot pick its bucket.
/// Connections from a trusted proxy are not held to the per-address connection limit either (only the total).
public struct TrustedProxies: Sendable, Equatable {
    /// Most networks one server trusts.
    public static let networksMax = 64
    /// Most `X-Forwarded-For` entries read, from the right: a longer chain is cut, not walked.
    public static let forwardedEntriesMax = 16

    /// A network: its address bytes (4 or 16) and prefix length.
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        public let bytes: [UInt8]
        public let prefixLength: Int

        /// `a.b.c.d/n`, `a.b.c.d` (a /32), an IPv6 address with or without `/n`.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let bytes = TrustedProxies.bytes(ofAddress: parts[0]) else { return nil }
            let width = bytes.count * 8
            if parts.count == 2 {
                guard let length = Int(parts[1]), (0...width).contains(length) else { return nil }
                prefixLength = length
            } else {
                prefixLength = width
            }
            self.bytes = bytes
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefixLength
            for index in bytes.indices where left > 0 {
                let bits = min(left, 8)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
                if address[index] & mask != bytes[index] & mask { return false }
                left -= bits
            }
            return true
        }

        public var description: String {
            let text = bytes.count == 4
                ? bytes.map(String.init).joined(separator: ".")
                : stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                    .joined(separator: ":")
            return "\(text)/\(prefixLength)"
        }
    }

    public let networks: [Network]

    /// No proxy is trusted: every request is counted by its TCP peer.
    public static let none = TrustedProxies(networks: [])

    public init(networks: [Network]) {
        self.networks = networks
    }

    /// From `--trusted-proxy` values; `Invalid` names the first one that is not an address or network.
    public init(parsing texts: [String]) throws(Invalid) {
        guard texts.count <= Self.networksMax else { throw Invalid(description: "at most \(Self.networksMax) trusted proxies") }
        var networks: [Network] = []
        for text in texts {
            guard let network = Network(text) else {
                throw Invalid(description: "--trusted-proxy \(text): not an address or network (10.0.0.0/8, 2001:db8::/32)")
            }
            networks.append(network)
        }
        self.networks = networks
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether `peer` is one of the trusted proxies.
    public func trusts(_ peer: SocketAddress?) -> Bool {
        guard !networks.isEmpty, let bytes = Self.bytes(of: peer) else { return false }
        return trusts(bytes)
    }

    private func trusts(_ bytes: [UInt8]) -> Bool {
        networks.contains { $0.contains(bytes) }
    }

    /// The key a per-address limit counts this request by (`ClientKey`): the client a trusted proxy names in
    /// `forwardedFor` (the values of every `X-Forwarded-For` header, in order), or the TCP peer itself.
    public func clientKey(peer: SocketAddress?, forwardedFor: [String]) -> String {
        guard trusts(peer) else { return ClientKey.of(peer) }
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }.suffix(Self.forwardedEntriesMax)
        for entry in entries.reversed() {
            let text = entry.trimmingCharacters(in: .whitespaces)
            guard let bytes = Self.bytes(ofAddress: text) else { break }  // garbage: trust nothing further left
            if trusts(bytes) { continue }
            return ClientKey.of(try? SocketAddress(ipAddress: text, port: 0))
        }
        return ClientKey.of(peer)
    }

    /// The address bytes of a numeric IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), nil for anything else.
    static func bytes(ofAddress text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45, let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        return bytes(of: address)
    }

    static func bytes(of address: SocketAddress?) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
            return bytes
        default:
            return nil
        }
    }
}
