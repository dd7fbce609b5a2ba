// SIGTERM during a herd: the unit stops taking purchases, commits what it admitted, and exits cleanly, also while
// connections are being opened and closed against it as fast as a client can.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct GracefulShutdownTests {
        @Test func sigtermDuringAHerdCommitsEveryAdmittedOrderAndExitsCleanly() async throws {
            try await sigtermDuringAHerd(churningConnections: 0)
        }

        /// The shutdown that SwiftNIO traps on when it is done by cancellation ("Deinited NIOAsyncWriter without
        /// calling finish()"): connections accepted while the server stops. A thousand of them are opened and
        /// closed against the unit (some with a whole request, some cut off halfway) while it takes SIGTERM.
        @Test func sigtermWhileAThousandConnectionsOpenAndCloseExitsCleanly() async throws {
            try await sigtermDuringAHerd(churningConnections: 1_000)
        }

        private func sigtermDuringAHerd(churningConnections: Int) async throws {
            try await LocalCluster.run { cluster in
                let stock: Int64 = 500
                try await cluster.startCenter()
                _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
                try await cluster.startUnit("eu-west-1", region: "eu-west")
                try await cluster.waitForRegistration(["eu-west-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: stock, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": stock]))
                try await cluster.waitForStock("eu-west-1", sale: "phone", stock: stock)

                let acknowledged = Shared<Set<String>>([])
                let http = cluster.http
                let unitURL = cluster.unitURL("eu-west-1")
                let port = try #require(URL(string: unitURL)?.port)
                let exitStatus = Shared<Int32?>(nil)
                let churn = ConnectionChurn(port: port, total: churningConnections)
                await withTaskGroup(of: Void.self) { group in
                    let next = Shared(0)
                    for _ in 0..<32 {
                        group.addTask {
                            while true {
                                let index = next.withLock { value -> Int in
                                    value += 1
                                    return value
                                }
                                guard index <= 5_000,
                                    let answer = try? await LocalCluster.purchase(
                                        http: http, unitURL: unitURL, sale: "phone", user: "buyer-\(index)")
                                else { return }
                                if let order = answer.order { acknowledged.withLock { _ = $0.insert(order.id) } }
                            }
                        }
                    }
                    try? await eventually("100 orders acknowledged", seconds: 60) { acknowledged.withLock { $0.count } >= 100 }
                    churn.start()
                    // The signal lands with a third of the connections made and the rest still coming.
                    try? await eventually("a third of the connections made", seconds: 60) {
                        churn.opened >= churningConnections / 3
                    }
                    let status = await cluster.unitProcess("eu-west-1")?.terminate()
                    exitStatus.withLock { $0 = status }
                    await group.waitForAll()
                }
                await churn.finish()
                let log = cluster.unitLog("eu-west-1")
                #expect(exitStatus.withLock { $0 } == 0, "a clean exit on SIGTERM; the unit's log:\n\(log.suffix(2_000))")
                #expect(!log.contains("Fatal error"), "nothing trapped")
                #expect(churn.attempted == churningConnections, "every connection was tried")
                let acked = acknowledged.withLock { $0 }
                let onDisk = try cluster.stored("eu-west-1", sale: "phone")
                #expect(acked.isSubset(of: onDisk.orderIDs), "every acknowledged order was committed before the exit")
                #expect(onDisk.sold == Int64(onDisk.orders) && onDisk.sold <= stock)
                #expect(!log.contains("order not persisted"), "nothing admitted was dropped")
            }
        }
    }
}

/// Opens and closes `total` TCP connections to 127.0.0.1:`port` from four threads, as fast as they go: every
/// other one sends a whole request before it closes, the rest half a request line. Plain blocking sockets on
/// threads of their own, so the test's own tasks are not slowed.
private final class ConnectionChurn: Sendable {
    let port: Int
    let total: Int
    private let counts = Shared<(attempted: Int, opened: Int)>((0, 0))
    private let done = Shared<Int>(0)
    private static let threads = 4

    init(port: Int, total: Int) {
        self.port = port
        self.total = total
    }

    var attempted: Int { counts.withLock { $0.attempted } }
    var opened: Int { counts.withLock { $0.opened } }

    func start() {
        guard total > 0 else { return }
        for _ in 0..<Self.threads {
            Thread.detachNewThread { [self] in
                while let index = claim() {
                    if connectOnce(whole: index % 2 == 0) { counts.withLock { $0.opened += 1 } }
                }
                done.withLock { $0 += 1 }
            }
        }
    }

    /// Waits until every thread has made its last connection.
    func finish() async {
        guard total > 0 else { return }
        while done.withLock({ $0 }) < Self.threads { try? await Task.sleep(for: .milliseconds(20)) }
    }

    private func claim() -> Int? {
        counts.withLock { counts -> Int? in
            guard counts.attempted < total else { return nil }
            counts.attempted += 1
            return counts.attempted
        }
    }

    /// One connection: true when it was accepted (connect succeeded).
    private func connectOnce(whole: Bool) -> Bool {
        guard let fd = Loopback.connect(to: port) else { return false }
        defer { close(fd) }
        Loopback.send(fd, whole ? "GET /healthz HTTP/1.1\r\nHost: unit\r\nConnection: close\r\n\r\n" : "GET /heal")
        return true
    }
}
