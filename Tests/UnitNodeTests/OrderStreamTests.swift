// The ordered order log: pages by id, and a live follower that reconnects without missing or repeating orders.

import AsyncHTTPClient
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@Suite struct OrderStreamTests {
    private func buy(_ client: some TestClientProtocol, _ user: String) async throws -> OrderView {
        let response = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", method: .post)
        #expect(response.status == .created)
        return try response.decoded(OrderView.self)
    }

    @Test func pagesReadEveryOrderOnceInIdOrder() async throws {
        let unit = try TestUnit(stock: 50)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            var made: [String] = []
            for index in 0..<10 { made.append(try await buy(client, "user-\(index)").id) }
            let first = try await client.execute(uri: "/v1/orders?count=4", method: .get, headers: TestUnit.consumer).decoded(OrderPage.self)
            #expect(first.orders.map(\.id) == Array(made.prefix(4)))
            #expect(first.next == made[3])
            let rest = try await client.execute(uri: "/v1/orders?after=\(made[3])&count=100", method: .get, headers: TestUnit.consumer)
                .decoded(OrderPage.self)
            #expect(rest.orders.map(\.id) == Array(made.dropFirst(4)))
            let end = try await client.execute(uri: "/v1/orders?after=\(made[9])", method: .get, headers: TestUnit.consumer).decoded(OrderPage.self)
            #expect(end.orders.isEmpty && end.next == made[9], "at the end, next stays where the consumer is")

            for bad in ["nope", "us-east-1-1-0", "\(TestUnit.unitID)-1-0&count=0"] {
                let answer = try await client.execute(uri: "/v1/orders?after=\(bad)", method: .get, headers: TestUnit.consumer)
                #expect(answer.status == .badRequest)
            }
            #expect(try await client.execute(uri: "/v1/orders?count=1001", method: .get, headers: TestUnit.consumer).status == .badRequest)
        }
    }

    @Test func aFollowerThatReconnectsMissesAndRepeatsNothing() async throws {
        let unit = try TestUnit(stock: 50)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            let http = HTTPClient.shared
            var made: [String] = []
            for index in 0..<6 { made.append(try await buy(client, "early-\(index)").id) }

            // First connection: read three events, then drop it.
            let seenFirst = try await Self.follow(http: http, port: port, lastEventID: nil, until: 3)
            #expect(seenFirst == Array(made.prefix(3)))

            for index in 0..<4 { made.append(try await buy(client, "late-\(index)").id) }
            // Reconnect where it stopped; one more order arrives while it follows live.
            let wanted = made.count - 3 + 1
            let resumeAfter = seenFirst.last
            async let rest = Self.follow(http: http, port: port, lastEventID: resumeAfter, until: wanted)
            try await Task.sleep(for: .milliseconds(300))
            made.append(try await buy(client, "live").id)
            let seenRest = try await rest
            #expect(seenFirst + seenRest == made, "every order exactly once, in id order")
        }
    }

    @Test func shutdownEndsOpenFollowers() async throws {
        let unit = try TestUnit(stock: 50)
        defer { unit.remove() }
        let follower = FollowerBox()
        try await unit.withLiveUnit { client in
            _ = try await buy(client, "someone")
            let port = try #require(client.port)
            // The unit stops once the follower's stream is open (not after a guess of how long that takes).
            let (connected, signal) = AsyncStream.makeStream(of: Void.self)
            follower.task.withLock {
                $0 = Task { try await Self.follow(http: .shared, port: port, lastEventID: nil, until: 1_000, connected: signal) }
            }
            for await _ in connected { break }
        }
        // The unit stopped although a follower was still waiting for orders: its stream ended cleanly, with what
        // there was. Had shutdown waited for the follower to leave, the follower's request would have timed out
        // (30 s) and thrown here instead.
        let seen = try await #require(follower.task.withLock { $0 }).value
        #expect(seen.count == 1)
    }

    /// Opens the stream (after `lastEventID`), collects event ids until it has `count`, then disconnects.
    /// `connected` hears once the stream has sent its first bytes.
    private static func follow(
        http: HTTPClient, port: Int, lastEventID: String?, until count: Int,
        connected: AsyncStream<Void>.Continuation? = nil
    ) async throws -> [String] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/orders/stream")
        request.headers.add(name: "Authorization", value: "Bearer \(TestUnit.ordersCredential)")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await http.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        var ids: [String] = []
        var buffer = ""
        for try await chunk in response.body {
            connected?.yield()
            buffer += String(buffer: chunk)
            while let end = buffer.range(of: "\n\n") {
                let event = buffer[..<end.lowerBound]
                buffer.removeSubrange(..<end.upperBound)
                for line in event.split(separator: "\n") where line.hasPrefix("id: ") { ids.append(String(line.dropFirst(4))) }
                // A consumer that handles `count` orders and then goes away.
                if ids.count >= count { return ids }
            }
        }
        return ids
    }
}

/// Holds a follower started inside a test body, to be awaited after the unit has stopped.
private final class FollowerBox: Sendable {
    let task = Mutex<Task<[String], any Error>?>(nil)
}
