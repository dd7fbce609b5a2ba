// Which client a per-address limit (connections, the buyer's address rate) counts.

import FlashSaleAPI
import NIOCore
import Testing

@Suite struct ClientKeyTests {
    private func key(_ ip: String) throws -> String { ClientKey.of(try SocketAddress(ipAddress: ip, port: 443)) }

    @Test func anIPv6HostIsOneClientWhateverAddressOfItsSlash64ItUses() throws {
        let first = try key("2001:db8:1:2::1")
        #expect(try key("2001:db8:1:2:ffff:ffff:ffff:fffe") == first, "the same /64: one bucket")
        #expect(try key("2001:db8:1:3::1") != first, "another /64: another client")
        #expect(first.hasSuffix("::/64"))
    }

    @Test func anIPv4AddressIsItselfAndMappedIPv6CountsAsIt() throws {
        #expect(try key("203.0.113.7") == "203.0.113.7")
        #expect(try key("::ffff:203.0.113.7") == "203.0.113.7")
        #expect(try key("203.0.113.8") != key("203.0.113.7"))
        #expect(ClientKey.of(nil) == "local")
    }

    @Test func aTrustedProxyNamesItsClientAndNobodyElseDoes() throws {
        let proxies = try TrustedProxies(parsing: ["10.0.0.0/8", "2001:db8:ff::/48", "192.0.2.1"])
        let proxy = try SocketAddress(ipAddress: "10.9.8.7", port: 443)
        let stranger = try SocketAddress(ipAddress: "198.51.100.9", port: 443)
        #expect(proxies.trusts(proxy) && !proxies.trusts(stranger))
        #expect(proxies.trusts(try SocketAddress(ipAddress: "::ffff:10.1.1.1", port: 1)), "mapped IPv4 is IPv4")
        #expect(proxies.trusts(try SocketAddress(ipAddress: "2001:db8:ff:1::5", port: 1)))
        #expect(!proxies.trusts(try SocketAddress(ipAddress: "2001:db8:fe::5", port: 1)))
        #expect(!proxies.trusts(try SocketAddress(ipAddress: "192.0.2.2", port: 1)), "a bare address is a /32")

        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["1.2.3.4, 203.0.113.7"]) == "203.0.113.7", "the rightmost")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["1.2.3.4", "203.0.113.7, 10.0.0.2"]) == "203.0.113.7", "proxies skipped, headers joined")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["2001:db8:1:2::9"]).hasSuffix("::/64"))
        #expect(proxies.clientKey(peer: stranger, forwardedFor: ["203.0.113.7"]) == "198.51.100.9", "a stranger's header is ignored")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: []) == "10.9.8.7", "no header: the proxy itself")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["203.0.113.7, garbage"]) == "10.9.8.7", "garbage: nothing further left")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: ["10.0.0.1, 10.0.0.2"]) == "10.9.8.7", "only proxies: the peer")
        let long = (1...100).map { "203.0.113.\($0)" }.joined(separator: ",")
        #expect(proxies.clientKey(peer: proxy, forwardedFor: [long]) == "203.0.113.100")
        #expect(TrustedProxies.none.clientKey(peer: proxy, forwardedFor: ["203.0.113.7"]) == "10.9.8.7")

        for bad in ["10.0.0.0/33", "10.0.0.0/-1", "example.com", "", "10.0.0.0/8/8", "::/129"] {
            #expect(throws: TrustedProxies.Invalid.self, "\(bad)") { try TrustedProxies(parsing: [bad]) }
        }
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: Array(repeating: "10.0.0.1", count: 65)) }
    }
}
