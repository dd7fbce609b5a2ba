// The unit's ordered order log, read by range (like XRANGE) or followed live (Server-Sent Events, like XREAD BLOCK).

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /v1/orders?after=ID&count=N` and `GET /v1/orders/stream?after=ID` (or `Last-Event-ID`). Orders are read
/// from SQLite, so only committed orders are shown, in id order; a consumer that remembers the last id it handled
/// misses and repeats nothing across reconnects. Both need the orders credential (`OrderAccess`).
enum OrderStreamRoutes {
    /// Largest page.
    static let pageMax: Int64 = 1_000
    /// Followers at once: each holds a connection and a task.
    static let followersMax = 256
    /// A comment line this often keeps idle connections (and proxies) from timing out.
    static let keepAlive = Duration.seconds(15)
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    static func add(
        to router: Router<WireRequestContext>, unit: NodeID, store: UnitStore, commits: VersionWatch,
        access: OrderAccess, terms: @escaping @Sendable (String) -> SaleTerms?
    ) {
        let followers = Atomic<Int>(0)

        router.get("/v1/orders") { request, _ in
            try access.requireConsumer(request)
            let after = try position(request.uri.queryParameters.get("after"), unit: unit)
            let count = Int(try request.integerQuery("count", default: 100, in: 1...pageMax))
            let orders = try await store.orders(after: after, count: count)
            return try WireResponse.json(
                OrderPage(orders: orders.map { UnitRoutes.view($0, terms: terms($0.saleID)) }, next: orders.last?.id.description ?? after?.description))
        }

        router.get("/v1/orders/stream") { request, _ in
            try access.requireConsumer(request)
            let start = try position(request.headers[lastEventID] ?? request.uri.queryParameters.get("after"), unit: unit)
            guard followers.add(1, ordering: .relaxed).newValue <= followersMax else {
                followers.subtract(1, ordering: .relaxed)
                throw Problem(.conflict, "too many followers of this unit's orders; read pages with ?after= instead")
            }
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { followers.subtract(1, ordering: .relaxed) }
                try await follow(from: start, unit: unit, store: store, commits: commits, terms: terms, writer: &writer)
                try await writer.finish(nil)
            })
        }
    }

    /// Sends every committed order after `start`, then waits for the next commit, until the client leaves or the
    /// unit shuts down.
    private static func follow(
        from start: OrderID?, unit: NodeID, store: UnitStore, commits: VersionWatch,
        terms: @Sendable (String) -> SaleTerms?, writer: inout any ResponseBodyWriter
    ) async throws {
        var cursor = start
        try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
        try await withGracefulShutdownHandler {
            while !Task.isCancelled {
                // Read the commit count first: a batch committed while this page is read wakes the wait below.
                let seen = commits.version
                let after = cursor
                let page = try await store.orders(after: after, count: Int(pageMax))
                if !page.isEmpty {
                    var text = ""
                    for order in page {
                        let json = String(decoding: try WireJSON.encoder.encode(UnitRoutes.view(order, terms: terms(order.saleID))), as: UTF8.self)
                        text += "id: \(order.id)\nevent: order\ndata: \(json)\n\n"
                    }
                    try await writer.write(ByteBuffer(string: text))
                    cursor = page.last?.id
                    if page.count == Int(pageMax) { continue }
                }
                if commits.isClosed { return }
                await commits.wait(after: seen, timeout: keepAlive)
                if commits.version == seen, !commits.isClosed {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
        } onGracefulShutdown: {
            // Wakes this follower (and every other); it sends what is committed and ends.
            commits.close()
        }
    }

    /// The log position named by `text` (an order id of this unit), or nil for the beginning.
    private static func position(_ text: String?, unit: NodeID) throws -> OrderID? {
        guard let text, !text.isEmpty else { return nil }
        guard let id = OrderID(text), id.unit == unit else {
            throw Problem(.invalidInput, "'after' must be an order id of this unit (\(unit)-<ms>-<seq>)")
        }
        return id
    }
}
