// The service group every server process runs in: it stops by graceful shutdown only, never by cancellation.

public import Logging
public import ServiceLifecycle
public import UnixSignals

/// Builds the group that runs a process's services, its HTTP server among them.
///
/// Why not Hummingbird's `runService()` with the services inside the application: that group cancels every task,
/// the server's included, as soon as one service fails or returns. SwiftNIO traps ("Deinited NIOAsyncWriter
/// without calling finish()") when the task that serves a `NIOAsyncChannel` server is cancelled while connections
/// it accepted are still queued for it (apple/swift-nio #2813 and #3481; the maintainers' advice is a graceful
/// shutdown instead). Here a service that fails or ends starts a graceful shutdown of the whole group: the server
/// stops accepting, serves every connection it accepted, and the services stop one by one. The group's error is
/// still thrown once everything has stopped, so the process exits non-zero.
public enum ServerGroup {
    /// `services` in start order; they are shut down in reverse order, so the service that must outlive the others
    /// (a unit's group-commit writer, which commits what the server admitted) comes first.
    public static func make(services: [any Service], signals: [UnixSignal] = [.sigterm, .sigint], logger: Logger) -> ServiceGroup {
        let configured = services.map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        return ServiceGroup(
            configuration: .init(services: configured, gracefulShutdownSignals: signals, cancellationSignals: [], logger: logger))
    }
}
