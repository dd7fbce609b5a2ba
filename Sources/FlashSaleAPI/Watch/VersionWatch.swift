// Waiting for something to move on: the config-center's long-poll (config versions) and a unit's order stream
// (committed batches).

/// Tracks a version that only grows and wakes the requests waiting for a newer one.
public actor VersionWatch {
    /// Waiting requests beyond this answer at once (with the current config) instead of waiting.
    public static let waitersMax = 10_000

    public private(set) var version: Int64
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiterID = 0

    public init(version: Int64) { self.version = version }

    /// Records a committed version and wakes every waiter.
    public func publish(_ newVersion: Int64) {
        guard newVersion > version else { return }
        version = newVersion
        let woken = waiters.values
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }

    /// Moves the version on by one and wakes every waiter: for changes that have no version of their own (the
    /// config-center's record of unit reports, which a dashboard follows).
    public func advance() {
        publish(version &+ 1)
    }

    /// Set on shutdown: waiting requests answer at once, so the server can stop without waiting them out.
    private var closed = false

    /// Whether `close()` was called: a waiter that wakes should end rather than wait again.
    public var isClosed: Bool { closed }

    /// Returns once the version is above `after`, or after `timeout`, or when the task is cancelled, or when the
    /// server shuts down.
    public func wait(after: Int64, timeout: Duration) async {
        guard version <= after, waiters.count < Self.waitersMax, !closed else { return }
        let id = nextWaiterID
        nextWaiterID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Checked again where the waiter is recorded: should getting here have left the actor for a moment,
                // a publish in between would otherwise wake no one and leave this request to its timeout.
                guard version <= after, !closed else { return continuation.resume() }
                waiters[id] = continuation
                Task {
                    try? await Task.sleep(for: timeout)
                    self.wake(id)
                }
            }
        } onCancel: {
            Task { await self.wake(id) }
        }
    }

    /// Wakes every waiter now and from now on (graceful shutdown).
    public func close() {
        closed = true
        let woken = waiters.values
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }

    private func wake(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
