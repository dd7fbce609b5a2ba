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
}
