// The config-center's loop that retires owners silent too long, so their region's other owners take their buyers.

import FlashSaleCore
import Logging
import ServiceLifecycle
import Synchronization

/// Every `tickInterval` on the monotonic clock, retires in each region of each sale under way the owner that
/// `RetirementRule` names (`CenterStore.retireSilentOwners`): a unit down stops stranding its buyers once it has
/// been silent `silenceMs` and every other member holds copies of all it acknowledged. The rule runs on what this
/// process heard while awake: a tick late by more than `AwakeWatch.gapMs` (the process was stopped or starved)
/// starts the awake span again, so a config-center that was paused retires nobody until it has listened again for
/// the whole span.
public final class OwnerRetirement: Service, Sendable {
    /// Four ticks a second: a retirement follows the silence span within a quarter of a second.
    static let tickInterval = Duration.milliseconds(250)

    private let store: CenterStore
    private let rule: RetirementRule
    private let awake: Mutex<AwakeWatch>
    private let logger: Logger

    /// Awake from now, on the store's monotonic clock: nobody was heard before this process started.
    public init(store: CenterStore, silenceMs: Int64, logger: Logger = Logger(label: "flashsale.center.retirement")) {
        self.store = store
        self.rule = RetirementRule(silenceMs: silenceMs)
        self.awake = Mutex(AwakeWatch(startMs: store.monotonicMs()))
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // A tick cut short by the shutdown is not run: its reads would fail as cancelled, and nothing is due.
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tickInterval)
                if Task.isCancelled { break }
                await self.tick()
            }
        }
    }

    /// One tick: notes it on the awake watch, then retires whoever is due. Returns the retirements written; a
    /// database error is logged and the next tick tries again.
    @discardableResult
    func tick() async -> [RetirementPass.Retirement] {
        let awakeSince = awake.withLock { $0.tick(atMs: store.monotonicMs()) }
        do {
            let retired = try await store.retireSilentOwners(rule: rule, awakeSinceMs: awakeSince)
            for retirement in retired {
                logger.warning(
                    "owner retired: silent too long, its region's other owners take its buyers for the rest of the sale",
                    metadata: [
                        "sale": "\(retirement.sale)", "region": "\(retirement.region)", "unit": "\(retirement.unit)",
                        "view": "\(retirement.position + 1)",
                    ])
            }
            return retired
        } catch is CancellationError {
            return []
        } catch {
            logger.error("cannot retire silent owners; trying again", metadata: ["error": "\(error)"])
            return []
        }
    }
}
