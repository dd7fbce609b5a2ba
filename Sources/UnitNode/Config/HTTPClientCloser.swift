// Shuts the unit's HTTP client down once the services that use it have stopped.

import AsyncHTTPClient
import ServiceLifecycle

/// Listed first among the unit's services, so it is the last to stop: it waits for graceful shutdown, then
/// closes the client the follower and the reporter used.
struct HTTPClientCloser: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
