// In-process servers for tests, on a real loopback port, that always stop by graceful shutdown.

public import Hummingbird
public import HummingbirdTesting

extension ApplicationProtocol {
    /// Runs `body` against this application served on a loopback port, like `test(.live)`, and stops the server by
    /// graceful shutdown whatever `body` does.
    ///
    /// `test(.live)` lets an error from its body leave the task group that runs the server, and a task group
    /// cancels its tasks when its body throws: the server's task is then cancelled while connections it accepted
    /// may still be queued for it, and SwiftNIO traps ("Deinited NIOAsyncWriter without calling finish()"),
    /// taking the whole test process down with the one failing test. Here the body's error is carried out of the
    /// live test as a value, so the server always stops gracefully first, and the error is thrown afterwards.
    public func testLive<Value: Sendable>(
        _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let outcome: Result<Value, any Error> = try await test(.live) { client in
            do {
                return .success(try await body(client))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
