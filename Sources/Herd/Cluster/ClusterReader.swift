// Reading the sale back from the cluster after the crowd: every unit's order log, then the center's account.

import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import Foundation
import NIOCore

/// Pages through each unit's ordered log (`GET /v1/orders?after=&count=`) and asks the config-center for the
/// sale's status, waiting (bounded) until the center's account has caught up with what the logs hold: units
/// report their counters about once a second.
struct ClusterReader: Sendable {
    let http: HTTPClient
    let center: ConfigCenterClient
    let sale: String
    /// The orders credential units serve their log to (nil: the logs are not read, and the report says why).
    let ordersCredential: String?

    /// Orders asked per page (the unit's largest page).
    static let pageOrders = 1_000
    /// Most pages read from one unit: ten million orders, far beyond any rehearsal, so a unit that kept
    /// answering full pages could not hold the herd forever.
    static let pagesMax = 10_000

    func read(units: [String: String], regionOfUnit: [String: String], settleSeconds: Int) async throws(ConfigCenterClientError) -> ClusterReadBack {
        var orders: [OrderView] = []
        var read: [String] = []
        var unread: [String: String] = [:]
        for (unit, url) in units.sorted(by: { $0.key < $1.key }) {
            do {
                orders += try await log(at: url).filter { $0.sale == sale }
                read.append(unit)
            } catch {
                unread[unit] = "\(error)"
            }
        }
        let live = Int64(Set(orders.filter { $0.status.holdsStock }.map(\.id)).count)
        var status = try await center.status(sale: sale)
        let settleBy = ContinuousClock.now + .seconds(max(settleSeconds, 0))
        while status.sold != live, ContinuousClock.now < settleBy {
            try? await Task.sleep(for: .milliseconds(200))
            status = try await center.status(sale: sale)
        }
        return ClusterReadBack(orders: orders, unitsRead: read, unitsUnread: unread, status: status, regionOfUnit: regionOfUnit)
    }

    struct LogError: Error, CustomStringConvertible {
        let description: String
    }

    /// Every order in one unit's log, in id order.
    private func log(at url: String) async throws -> [OrderView] {
        var orders: [OrderView] = []
        var after: String?
        for _ in 0..<Self.pagesMax {
            var query = "count=\(Self.pageOrders)"
            if let after, let escaped = after.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) {
                query += "&after=\(escaped)"
            }
            var request = HTTPClientRequest(url: url + "/v1/orders?" + query)
            if let ordersCredential { request.headers.add(name: "Authorization", value: "Bearer \(ordersCredential)") }
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else {
                let problem = try? WireJSON.decoder.decode(Problem.self, from: Data(buffer: body))
                throw LogError(description: "HTTP \(response.status.code)" + (problem?.detail.map { ": \($0)" } ?? ""))
            }
            let page = try WireJSON.decoder.decode(OrderPage.self, from: Data(buffer: body))
            orders += page.orders
            guard page.orders.count == Self.pageOrders, let next = page.next else { return orders }
            after = next
        }
        throw LogError(description: "more than \(Self.pagesMax) pages")
    }
}
