// The operator's dashboard: a page compiled into the binary, and the live status stream (Server-Sent Events) it reads.

import FlashSaleAPI
import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /dashboard` (with its script and style sheet) and `GET /v1/sales/{sale}/status/stream`.
///
/// The stream sends the sale's status with its grant flows at once, then again whenever the config-center records
/// something (a unit's report or gossip, an allocation, a pause...) that changes it, and when the sale opens or
/// ends. Bursts are merged: at most one event per `eventMinInterval` per follower, however fast units report.
enum DashboardRoutes {
    /// Followers at once: each holds a connection and a task.
    static let followersMax = 64
    /// Followers one operator may hold at once (a wall screen and a few laptops), so one cannot take them all.
    static let followersPerOperator = 8
    /// Shortest time between two events to one follower; a crowd of gossiping units writes many times a second.
    static let eventMinInterval = Duration.milliseconds(250)
    /// A comment line at least this often keeps idle connections (and proxies) from timing out.
    static let keepAlive = Duration.seconds(15)

    static let assets: [String: BrowserAsset] = [
        "dashboard.js": .javaScript(PackageResources.dashboard_js),
        "dashboard.css": .css(PackageResources.dashboard_css),
    ]
    static let page = BrowserAsset.html(PackageResources.dashboard_html)

    /// The page and its files: public, since they hold no data (the page asks for a credential to read any).
    static func addPage(to router: some RouterMethods<CenterRequestContext>) {
        router.get("/dashboard") { _, _ in page.response }
        router.get("/dashboard/{asset}") { _, context in
            let name = context.parameters.get("asset") ?? ""
            guard let asset = assets[name] else { throw Problem(.notFound, "no file '\(name)' in the dashboard") }
            return asset.response
        }
    }

    /// The live stream, on a group that admits viewers.
    static func addStream(to router: some RouterMethods<CenterRequestContext>, store: CenterStore) {
        let followers = Atomic<Int>(0)
        let quota = CallerQuota(perCaller: followersPerOperator, what: "status streams")
        router.get("/v1/sales/{sale}/status/stream") { request, context in
            let sale = try context.parameters.require("sale")
            // The group's authenticator admitted this credential; it is checked again on every round, so removing the
            // operator ends an open stream too.
            let credential = request.headers.bearer?.token ?? ""
            // An unknown sale is refused here, before the stream's 200 goes out.
            _ = try await store.liveStatus(sale: sale)
            let caller = context.identity?.name ?? ""
            try quota.acquire(caller)
            guard followers.add(1, ordering: .relaxed).newValue <= followersMax else {
                followers.subtract(1, ordering: .relaxed)
                quota.release(caller)
                throw Problem(.conflict, "too many followers of sale status streams; read GET /v1/sales/{sale}/status instead")
            }
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer {
                    followers.subtract(1, ordering: .relaxed)
                    quota.release(caller)
                }
                try await follow(sale: sale, store: store, credential: credential, writer: &writer)
                try await writer.finish(nil)
            })
        }
    }

    /// Sends the sale's live status whenever it differs from the last one sent, until the client leaves, the
    /// config-center shuts down, or `credential` no longer names an operator (removed: the stream ends at once).
    private static func follow(
        sale: String, store: CenterStore, credential: String, writer: inout any ResponseBodyWriter
    ) async throws {
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        var lastSent: Data?
        try await withGracefulShutdownHandler {
            while !Task.isCancelled {
                guard try await store.authenticate(credential: credential) != nil else {
                    try await writer.write(ByteBuffer(string: "event: revoked\ndata: this credential was withdrawn\n\n"))
                    return
                }
                // Read the change count first: a change recorded while the snapshot is read wakes the wait below.
                let seen = await store.changeCount
                let live = try await store.liveStatus(sale: sale)
                let json = try WireJSON.encoder.encode(live)
                if json != lastSent {
                    try await writer.write(ByteBuffer(string: "event: status\ndata: \(String(decoding: json, as: UTF8.self))\n\n"))
                    lastSent = json
                }
                if await store.changeWaitsClosed { return }
                await store.waitForChange(after: seen, timeout: timeout(live.status, nowMs: store.nowMs()))
                if await store.changeCount == seen, !(await store.changeWaitsClosed) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                try? await Task.sleep(for: eventMinInterval)
            }
        } onGracefulShutdown: {
            // Wakes this follower (and every other); it sends what changed and ends.
            Task { await store.closeChangeWaits() }
        }
    }

    /// How long to wait for a change: until the sale's next phase boundary (the state changes then with no write),
    /// or `keepAlive`.
    static func timeout(_ status: SaleStatus, nowMs: Int64) -> Duration {
        let boundaries = [status.startsAt, status.endsAt].map(\.millisecondsSince1970).filter { $0 > nowMs }
        guard let next = boundaries.min() else { return keepAlive }
        return min(.milliseconds(next - nowMs + 20), keepAlive)
    }
}
