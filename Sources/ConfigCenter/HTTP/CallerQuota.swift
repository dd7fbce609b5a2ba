// How many of a shared kind of slot (long-polls, status streams) one caller may hold at once.

import FlashSaleAPI
import Synchronization

/// Long-poll waiters and status-stream followers are shared resources with a bound for all. Held first come first
/// served, one caller could take them all; so each caller (an enrolled unit, an operator) may hold only `perCaller`
/// of a kind, and a caller past it is answered 429 `rate-limited` at once.
final class CallerQuota: Sendable {
    let perCaller: Int
    /// What the slots are, for the refusal's detail.
    let what: String
    private let open = Mutex<[String: Int]>([:])

    init(perCaller: Int, what: String) {
        precondition(perCaller > 0, "a caller may hold at least one slot")
        self.perCaller = perCaller
        self.what = what
    }

    /// Takes one of `caller`'s slots; throws 429 `rate-limited` when it holds them all already. Give it back with
    /// `release`.
    func acquire(_ caller: String) throws {
        let admitted = open.withLock { open in
            guard open[caller, default: 0] < perCaller else { return false }
            open[caller, default: 0] += 1
            return true
        }
        guard admitted else {
            throw Problem(
                .rateLimited, "this caller holds \(perCaller) \(what) open already; wait for one to end", retryAfterSeconds: 1)
        }
    }

    func release(_ caller: String) {
        open.withLock { open in
            open[caller, default: 1] -= 1
            if open[caller] == 0 { open[caller] = nil }
        }
    }

    /// Runs `body` holding one of `caller`'s slots.
    func holding<T: Sendable>(_ caller: String, _ body: () async throws -> T) async throws -> T {
        try acquire(caller)
        defer { release(caller) }
        return try await body()
    }
}
