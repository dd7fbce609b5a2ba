// The connection guard's clocks: a request must arrive in time, an idle connection goes, an answer is never cut.

import AsyncHTTPClient
import FlashSaleAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConnectionGuardTests {
    static let limits = ConnectionLimits(
        maxConnections: 100, maxConnectionsPerAddress: 3, requestTimeout: .milliseconds(500), idleTimeout: .milliseconds(800))

    /// Runs `body` with the port of a server behind a gate with `limits`: /fast answers at once, /slow after 1.5 s.
    private func withGuardedServer(
        limits: ConnectionLimits = Self.limits, trustedProxies: TrustedProxies = .none, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/fast") { _, _ in "fast" }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .milliseconds(1_500))
            return "slow"
        }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "connection-guard-test")
        logger.logLevel = .critical
        let app = Application(
            router: router, server: ConnectionGate(limits: limits, trustedProxies: trustedProxies).http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let group = ServerGroup.make(services: [app], signals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let outcome: Result<Void, any Error>
            do { outcome = .success(try await body(try #require(port.withLock { $0 }))) } catch { outcome = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try outcome.get()
        }
    }

    /// The guard's deadlines are set from the coarse clock: the same clock as NIO's timers, never ahead of it, and
    /// behind it by a kernel tick at most (so a deadline fires no more than a tick early).
    @Test func theCoarseClockIsNIOsClockAtATicksResolution() {
        for _ in 0..<1_000 {
            let coarse = CoarseClock.now()
            let precise = NIODeadline.now()
            #expect(coarse <= precise)
            #expect(precise - coarse < .milliseconds(20))
        }
    }

    @Test func aSlowAnswerIsNeverCutButASilentConnectionIs() async throws {
        try await withGuardedServer { port in
            // The answer takes three times the request timeout: the guard does not time a request being answered.
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow"), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "slow")

            // Half a request is closed when the request's time (0.5 s from its first byte) runs out; a connection
            // that sends nothing when its idle time (0.8 s) does.
            for (opening, timeout) in [("GET /fast HTTP/1.1\r\nHo", Duration.milliseconds(500)), ("", .milliseconds(800))] {
                let socket = try RawConnection(port: port)
                socket.send(opening)
                let (closedAfter, _) = socket.waitForClose(limit: .seconds(10))
                let after = try #require(closedAfter, "never closed (sent \(opening.debugDescription))")
                #expect(after >= timeout - .milliseconds(100), "closed after \(after), before its \(timeout)")
            }
        }
    }

    /// A body that stops coming while the server waits for it is closed when the request time runs out.
    @Test func aBodyThatStopsComingIsClosed() async throws {
        try await withGuardedServer { port in
            let socket = try RawConnection(port: port)
            socket.send("POST /fast HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789")
            let (closedAfter, _) = socket.waitForClose(limit: .seconds(10))
            let after = try #require(closedAfter, "a silent body was never closed")
            #expect(after >= .milliseconds(400), "closed after \(after), before its request time")
        }
    }

    @Test func aKeptAliveConnectionGoesWhenIdleAfterItsAnswer() async throws {
        try await withGuardedServer { port in
            let socket = try RawConnection(port: port)
            socket.send("GET /fast HTTP/1.1\r\nHost: test\r\n\r\n")
            let (closedAfter, received) = socket.waitForClose(limit: .seconds(10))
            #expect(received.hasPrefix("HTTP/1.1 200"), "answered first: \(received)")
            let after = try #require(closedAfter, "the idle connection was never closed")
            #expect(after >= .milliseconds(700), "closed after \(after), before its idle time")
        }
    }

    @Test func oneAddressHoldsAtMostItsShare() async throws {
        // Timeouts far longer than the test: only the per-address limit closes anything here.
        let limits = ConnectionLimits(
            maxConnections: 100, maxConnectionsPerAddress: 3, requestTimeout: .seconds(600), idleTimeout: .seconds(600))
        try await withGuardedServer(limits: limits) { port in
            let held = try (0..<6).map { _ in try RawConnection(port: port) }
            try await Task.sleep(for: .milliseconds(200))
            // Over the limit of 3 the server closes at once (before any request timeout could).
            #expect(held.filter { $0.isOpen }.count == 3)
        }
    }

    /// A trusted load balancer carries every buyer's connection: it is held to the total only, not to one address's share.
    @Test func aTrustedProxyIsHeldToTheTotalOnly() async throws {
        let limits = ConnectionLimits(
            maxConnections: 5, maxConnectionsPerAddress: 3, requestTimeout: .seconds(600), idleTimeout: .seconds(600))
        try await withGuardedServer(limits: limits, trustedProxies: try TrustedProxies(parsing: ["127.0.0.1"])) { port in
            let held = try (0..<7).map { _ in try RawConnection(port: port) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(held.filter { $0.isOpen }.count == 5, "past the per-address 3, up to the total 5")
        }
    }
}
