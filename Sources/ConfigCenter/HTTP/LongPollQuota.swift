// How many long-polls one caller may hold open at once.

import FlashSaleAPI
import Synchronization

/// Long-poll waiters are a shared resource (`VersionWatch.waitersMax` in all): once they are taken, every later
/// long-poll answers at once and the config-center spins. Each caller (an enrolled unit, an operator) may hold only
/// `perCaller` of them, so nobody can take the slots everyone else needs; a unit follows with one, and the second
/// covers a reconnect that overlaps the poll it replaces.
final class LongPollQuota: Sendable {
    let perCaller: Int
    private let open = Mutex<[String: Int]>([:])

    init(perCaller: Int = 2) {
        precondition(perCaller > 0, "a caller may hold at least one long-poll")
        self.perCaller = perCaller
    }

    /// Runs `body` holding one of `caller`'s slots; throws 429 `rate-limited` when it holds them all already.
    func holding<T: Sendable>(_ caller: String, _ body: () async throws -> T) async throws -> T {
        let admitted = open.withLock { open in
            guard open[caller, default: 0] < perCaller else { return false }
            open[caller, default: 0] += 1
            return true
        }
        guard admitted else {
            throw Problem(
                .rateLimited, "\(perCaller) long-polls of this caller are open already; wait for one to answer",
                retryAfterSeconds: 1)
        }
        defer {
            open.withLock { open in
                open[caller, default: 1] -= 1
                if open[caller] == 0 { open[caller] = nil }
            }
        }
        return try await body()
    }
}
