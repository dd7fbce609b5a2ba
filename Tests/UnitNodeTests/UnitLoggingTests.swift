// Every line a unit logs says which unit and region wrote it, and lines about a sale name the sale, however the
// caller made its logger: tests run many units in one process, where no process-wide metadata can tell them apart.

import FlashSaleAPI
import Foundation
import HummingbirdTesting
import TestSupport
import Logging
import Synchronization
import Testing
@testable import UnitNode

/// Lines written through `CapturingLogHandler`, with all their metadata merged as a handler would print it.
final class CapturedLines: Sendable {
    struct Line: Sendable {
        let message: String
        let metadata: Logger.Metadata
    }

    private let lines = Mutex<[Line]>([])

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    var all: [Line] { lines.withLock { $0 } }
}

/// A log handler that keeps every line, honouring a metadata provider the way swift-log's own handlers do.
struct CapturingLogHandler: LogHandler {
    let captured: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(metadataProvider?.get() ?? [:]) { _, new in new }
        merged.merge(event.metadata ?? [:]) { _, new in new }
        captured.append(.init(message: event.message.description, metadata: merged))
    }
}

@Suite struct UnitLoggingTests {
    @Test func everyLineOfAUnitCarriesItsUnitAndRegionAndSaleLinesTheSale() async throws {
        let captured = CapturedLines()
        let logger = Logger(label: "capture") { _ in CapturingLogHandler(captured: captured) }
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 2, paymentWindowMs: 60_000, nowMs: { clock.nowMs })
        defer { unit.remove() }
        let app = try await UnitServer.application(settings: unit.settings, logger: logger, nowMs: unit.nowMs)
        try await app.testLive { client in
            let order = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=alice", method: .post)
            #expect(order.status == .created)
            clock.advance(byMs: 60_000)
            // The sweeper (every 50 ms in tests) expires the order and says so, naming the sale.
            for _ in 0..<200 where !captured.all.contains(where: { $0.message.contains("expired") }) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let lines = captured.all
        // From the start (the saved configuration), the follower (the config-center is unreachable), the sweeper
        // and the HTTP server: components made in different places, one logger.
        #expect(lines.contains { $0.message.contains("resumed from the saved config") })
        #expect(lines.contains { $0.message.contains("config-center") })
        let expiry = try #require(lines.first { $0.message.contains("expired") })
        #expect(expiry.metadata["sale"] == "\(TestUnit.saleID)")
        for line in lines {
            #expect(line.metadata["unit"] == "\(TestUnit.unitID)", "\(line.message)")
            #expect(line.metadata["region"] == "\(TestUnit.region)", "\(line.message)")
        }
    }

    @Test func aHandlerWithoutProviderSupportGetsTheMetadataOnTheLogger() {
        struct Plain: LogHandler {
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {}
        }
        let tagged = ProcessLogging.tagged(Logger(label: "plain") { _ in Plain() }, ["unit": "u-1"])
        #expect(tagged[metadataKey: "unit"] == "u-1")
    }
}
