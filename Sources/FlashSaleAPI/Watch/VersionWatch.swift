// Waiting for something to move on: the config-center's long-poll (config versions) and a unit's order stream
// (committed batches).

import Synchronization

/// Tracks a version that only grows and wakes the requests waiting for a newer one.
///
/// A lock, not an actor: the unit's group-commit writer publishes after every batch from its own thread, and as an
/// actor each publish was a task created, a thread of the pool woken and a hop, though nobody follows the order stream
/// most of the time. Waiters still wait in Swift concurrency.
public final class VersionWatch: Sendable {
    /// Waiting requests beyond this answer at once (with the current config) instead of waiting.
    public static let waitersMax = 10_000

    private struct State {
        var version: Int64
        /// Set on shutdown: waiting requests answer at once, so the server can stop without waiting them out.
        var closed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0

        /// Moves the version to `newVersion` if that is newer: the waiters to wake.
        mutating func moved(to newVersion: Int64) -> [CheckedContinuation<Void, Never>] {
            guard newVersion > version else { return [] }
            version = newVersion
            return takeWaiters()
        }

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            guard !waiters.isEmpty else { return [] }
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
    }

    private let state: Mutex<State>

    public init(version: Int64) { state = Mutex(State(version: version)) }

    public var version: Int64 { state.withLock { $0.version } }

    /// Whether `close()` was called: a waiter that wakes should end rather than wait again.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Records a committed version and wakes every waiter.
    public func publish(_ newVersion: Int64) {
        for waiter in state.withLock({ $0.moved(to: newVersion) }) { waiter.resume() }
    }

    /// Moves the version on by one and wakes every waiter: for changes that have no version of their own (the
    /// config-center's record of unit reports, which a dashboard follows, and a unit's committed batches).
    public func advance() {
        for waiter in state.withLock({ state in state.moved(to: state.version &+ 1) }) { waiter.resume() }
    }

    /// Returns once the version is above `after`, or after `timeout`, or when the task is cancelled, or when the
    /// server shuts down.
    public func wait(after: Int64, timeout: Duration) async {
        let id = state.withLock { state -> Int? in
            guard state.version <= after, state.waiters.count < Self.waitersMax, !state.closed else { return nil }
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Checked again where the waiter is recorded, under the lock a publish takes: a publish in between
                // would otherwise wake no one. A task cancelled before this point is not recorded (its cancellation
                // handler may already have run and found nothing to wake).
                let recorded = state.withLock { state -> Bool in
                    guard state.version <= after, !state.closed, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                guard recorded else { return continuation.resume() }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.wake(id)
                }
            }
        } onCancel: {
            self.wake(id)
        }
    }

    /// Wakes every waiter now and from now on (graceful shutdown).
    public func close() {
        let woken = state.withLock { state in
            state.closed = true
            return state.takeWaiters()
        }
        for waiter in woken { waiter.resume() }
    }

    private func wake(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
