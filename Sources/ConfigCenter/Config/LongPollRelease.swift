// Lets the config-center stop at once even while units hold long-polls open.

import FlashSaleAPI
import ServiceLifecycle

/// Listed after the HTTP server, so graceful shutdown reaches it first: it answers every waiting long-poll,
/// and the server then has no request left to wait for.
struct LongPollRelease: Service {
    let watch: VersionWatch

    func run() async throws {
        try? await gracefulShutdown()
        watch.close()
    }
}
