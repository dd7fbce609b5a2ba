// A client that opens a thousand connections and never finishes a request does not stop anyone else from buying.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct ConnectionLimitsTests {
        /// 1,000 half-sent requests from 127.0.0.2 against a unit that holds at most 64 connections per address and
        /// gives a request 8 s to arrive: a buyer from 127.0.0.1 buys while the attacker's connections are still
        /// held, the attacker never holds more than 64 connections, and every one it holds is closed when its time
        /// runs out.
        @Test func aThousandHalfSentConnectionsFromOneAddressDoNotStopAnotherFromBuying() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
                try await cluster.startUnit(
                    "eu-west-1", region: "eu-west",
                    extraArguments: ["--max-connections-per-address", "64", "--request-timeout-seconds", "8"])
                try await cluster.waitForRegistration(["eu-west-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: 10, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 10]))
                try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 10)
                let port = try #require(URL(string: cluster.unitURL("eu-west-1"))?.port)

                let attacker = HalfSentConnections(from: "127.0.0.2", to: port)
                defer { attacker.closeAll() }
                let opened = attacker.open(1_000)
                #expect(opened == 1_000, "every connection was made (the kernel accepts them; the unit closes most)")
                try await Task.sleep(for: .milliseconds(500))
                let heldEarly = attacker.stillOpen()
                #expect(heldEarly <= 64, "the unit holds at most 64 connections from one address, held \(heldEarly)")

                let started = ContinuousClock.now
                let answer = try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "patient-buyer")
                #expect(answer.status == 201, "another address buys while the attacker holds its connections")
                // Generous for a loaded machine; the point is that the buyer did not wait for the attacker's 8 s.
                #expect(ContinuousClock.now - started < .seconds(6), "the buyer waited \(ContinuousClock.now - started)")

                try await eventually("the attacker's connections closed after their 8 s", seconds: 30) {
                    attacker.stillOpen() == 0
                }
                let status = try await cluster.get(cluster.unitURL("eu-west-1") + "/healthz").status
                #expect(status == 200)
            }
        }
    }
}

/// Connections from one source address, each sent the first half of a purchase request and then left waiting.
private final class HalfSentConnections {
    let source: String
    let port: Int
    private(set) var sockets: [Int32] = []

    init(from source: String, to port: Int) {
        self.source = source
        self.port = port
    }

    /// Opens `count` connections (blocking connects on loopback: the kernel completes them from its accept queue);
    /// returns how many were made.
    func open(_ count: Int) -> Int {
        for _ in 0..<count {
            guard let fd = Loopback.connect(to: port, from: source) else { continue }
            Loopback.send(fd, "POST /v1/sales/phone/purchases?user=mallory HTTP/1.1\r\nHost: unit\r\nContent-Le")
            sockets.append(fd)
        }
        return sockets.count
    }

    /// Connections the server has not closed.
    func stillOpen() -> Int { sockets.filter(Loopback.isOpen).count }

    func closeAll() {
        sockets.forEach { close($0) }
        sockets.removeAll()
    }
}
