// A process's services stop by graceful shutdown when one of them fails: the server answers what it accepted first.

import AsyncHTTPClient
import FlashSaleAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct ServerGroupTests {
    struct BackgroundFailure: Error {}

    /// A background service that fails when told to, as a writer whose disk went away would.
    struct FailingService: Service {
        let failNow: AsyncStream<Void>
        func run() async throws {
            for await _ in failNow { throw BackgroundFailure() }
        }
    }

    /// A request in flight when another service fails still gets its whole answer, and the group then throws that
    /// failure. Had the group cancelled the server (Hummingbird's own group does), the request would be cut off.
    @Test func aFailingServiceStopsTheServerGracefullyAndTheGroupThrowsItsError() async throws {
        let port = Mutex<Int?>(nil)
        let (started, markStarted) = AsyncStream.makeStream(of: Void.self)
        let (failNow, fail) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.get("/slow") { _, _ -> String in
            markStarted.yield()
            try await Task.sleep(for: .milliseconds(500))
            return "done"
        }
        var logger = Logger(label: "server-group-test")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let group = ServerGroup.make(services: [FailingService(failNow: failNow), app], signals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await #expect(throws: BackgroundFailure.self) { try await group.run() }
            }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let url = "http://127.0.0.1:\(try #require(port.withLock { $0 }))/slow"
            async let answer = HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            for await _ in started { break }
            fail.yield()
            let response = try await answer
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "done")
            try await tasks.waitForAll()
        }
    }
}
