// Thousands of buyers at once against a small stock: exactly `stock` orders, every other answer 410.

import AsyncHTTPClient
import FlashSaleAPI
import Foundation
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

@Suite struct ConcurrentPurchaseTests {
    @Test func herdOfDistinctUsersGetsExactlyTheStock() async throws {
        let stock: Int64 = 50
        let buyers = 3000
        let unit = try TestUnit(stock: stock)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
            // 3,000 requests share 128 connections: on a loaded machine a request may wait long for one.
            configuration.timeout.connect = .seconds(120)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            var statuses: [UInt: Int] = [:]
            var orderIDs = Set<String>()
            do {
                try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                    for index in 0..<buyers {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sales/\(TestUnit.saleID)/purchases?user=u\(index)")
                            request.method = .POST
                            // The deadline counts the wait for one of the 128 connections too: generous, it bounds a
                            // hang (3,000 requests once took over 30 s on a loaded 2-core machine).
                            let response = try await http.execute(request, timeout: .seconds(300))
                            let body = try await response.body.collect(upTo: 1 << 16)
                            let id = response.status == .created ? try WireJSON.decoder.decode(OrderView.self, from: Data(buffer: body)).id : nil
                            return (response.status.code, id)
                        }
                    }
                    for try await (status, id) in group {
                        statuses[status, default: 0] += 1
                        if let id { orderIDs.insert(id) }
                    }
                }
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
            #expect(statuses[201] == Int(stock))
            #expect(statuses[410] == buyers - Int(stock))
            #expect(statuses.keys.sorted() == [201, 410])
            #expect(orderIDs.count == Int(stock))
            let view = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self)
            #expect(view.stockLeft == 0)
        }
        let stored = try unit.stored()
        #expect(stored.orders == Int(stock))
        #expect(stored.sold == stock)
    }

    @Test func oneUserRacingWithManyRequestsGetsOneOrder() async throws {
        let unit = try TestUnit(stock: 10)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            // Each request on a connection of its own, so that they truly race: the test client pipelines every
            // request on one connection, where the server answers them one after another.
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 100
            configuration.timeout.connect = .seconds(120)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let statuses: [UInt]
            do {
                statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for _ in 0..<100 {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/sales/\(TestUnit.saleID)/purchases?user=greedy")
                            request.method = .POST
                            // Generous: it bounds a hang, not the speed of a loaded 2-core machine running every suite.
                            let response = try await http.execute(request, timeout: .seconds(120))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            return response.status.code
                        }
                    }
                    return try await group.reduce(into: [UInt]()) { $0.append($1) }
                }
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 99)
        }
        #expect(try unit.stored().orders == 1)
    }
}
