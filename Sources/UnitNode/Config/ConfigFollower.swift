// Follows the config-center by long-poll and makes every new configuration durable before using it.

import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the unit on the newest configuration. Each new version is written to SQLite first (snapshot, the
/// config-center's ledger row, the sale's limit), through the group-commit writer, which shows it to the machine
/// after the commit, so a unit that
/// restarts while the config-center is down comes back with everything it was selling from.
final class ConfigFollower: Service, Sendable {
    private let client: ConfigCenterClient
    private let writer: GroupCommitWriter
    private let desk: PurchaseDesk
    private let logger: Logger
    private let longPollSeconds: Int
    private let currentVersion: Atomic<Int64>
    private let latest: Mutex<ClusterConfig?>
    private let recovery: UnitRecovery
    private let gate: BuyerGate
    /// Whether peers gossip this unit's row back to it: only then is there anyone to wait for but the center.
    private let gossiping: Bool
    private let nowMs: @Sendable () -> Int64

    init(
        client: ConfigCenterClient, writer: GroupCommitWriter, desk: PurchaseDesk, recovery: UnitRecovery, gate: BuyerGate,
        gossiping: Bool,
        starting: ClusterConfig?, longPollSeconds: Int, nowMs: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.nowMs = nowMs
        self.client = client
        self.recovery = recovery
        self.gate = gate
        self.gossiping = gossiping
        self.writer = writer
        self.desk = desk
        self.longPollSeconds = longPollSeconds
        self.logger = logger
        self.currentVersion = Atomic(starting?.version ?? 0)
        self.latest = Mutex(starting)
    }

    /// The configuration version this unit runs on.
    var version: Int64 { currentVersion.load(ordering: .relaxed) }

    /// Whether the unit has a configuration at all: from the config-center now, or its copy saved before.
    var hasConfig: Bool { latest.withLock { $0 != nil } }

    /// The units of the cluster as last configured (ids and URLs), the membership gossip uses.
    var units: [UnitSpec] { latest.withLock { $0?.units ?? [] } }

    /// Follows the configuration by long-poll. Errors back off (0.2 s doubling to 5 s), and so do answers that come
    /// back at once with nothing new: a config-center that cannot hold a long-poll (its waiters taken, a proxy that
    /// cuts it) must not make every unit ask again in a tight loop.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = Self.firstRetry
            var failing = false
            let clock = ContinuousClock()
            while !Task.isCancelled {
                do {
                    let asked = clock.now
                    let config = try await self.client.config(after: self.version, waitSeconds: self.longPollSeconds)
                    let news = config.version > self.version
                    if news || self.desk.isRecovering { try await self.adopt(config) }
                    if failing { self.logger.info("config-center reachable again", metadata: ["version": "\(self.version)"]) }
                    failing = false
                    if news || clock.now - asked >= Self.heldLongEnough(self.longPollSeconds) {
                        delay = Self.firstRetry
                    } else {
                        try? await Task.sleep(for: delay)
                        delay = min(delay * 2, Self.lastRetry)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if !failing {
                        let consequence = self.desk.isRecovering ? "not selling until it answers" : "selling on the last config"
                        self.logger.warning("cannot follow the config-center; \(consequence)", metadata: [
                            "version": "\(self.version)", "error": "\(error)",
                        ])
                    }
                    failing = true
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, Self.lastRetry)
                }
            }
        }
    }

    static let firstRetry = Duration.milliseconds(200)
    static let lastRetry = Duration.seconds(5)

    /// How long an answer with nothing new must have been held to count as a long-poll that ran its course: half the
    /// wait asked for (a config-center may answer a little early), and at least 0.1 s.
    static func heldLongEnough(_ waitSeconds: Int) -> Duration {
        max(.milliseconds(100), .milliseconds(Int64(waitSeconds) * 500))
    }

    /// Takes `config` into the buyer gate first (a key it cannot load refuses the whole configuration before anything
    /// is stored: a stored one the unit cannot load would stop it at its next start), stores it; the writer hands its
    /// sales to the machine after the commit. While the database says the unit recovers a lost one, the config-center's
    /// copy of its rows is restored in the same transaction, and the machine learns it (`.centerRestored`) with the
    /// peers still to hear.
    func adopt(_ config: ClusterConfig) async throws {
        let unit = desk.unit
        let known = desk.knownSales()
        let peers = gossiping ? Set(config.units.map { NodeID($0.id) }).subtracting([unit]) : []
        let now = nowMs()
        let region = gate.region
        let keptOwners = desk.custodyOwners()
        try gate.update(config)
        let recovering = try await writer.perform { db in
            try UnitRecords.save(config, db)
            // The configuration is the config-center's, signed: the grants between units in its copies of the units'
            // rows are what it witnessed (`GrantWitness`), as good as the witness gossip carries. Taken before a
            // recovering unit restores its own row, so that the stock peers gave it counts for what it sold.
            for sale in config.sales {
                let witness = GrantWitness(grants: (sale.unitRows ?? [:]).mapValues(\.grantedTo))
                for (from, row) in witness.rows(except: unit) {
                    try LedgerTables.merge(row, of: from, saleID: sale.terms.id, includeCounters: false, db)
                }
            }
            // A unit on a new database takes back what the config-center remembers it sold and gave; peers' copies
            // follow by gossip (GossipExchange).
            let recovering = try UnitRecords.isRecovering(db)
            if recovering {
                for sale in config.sales {
                    if let remembered = sale.unitRows?[unit] {
                        try UnitRecords.restore(remembered, of: unit, saleID: sale.terms.id, db)
                    }
                }
            }
            var events = try UnitRecords.loaded(config.sales.map(\.terms), unit: unit, known: known, db)
            let custody = try UnitRecords.custodyEvents(config, unit: unit, region: region, keptOwners: keptOwners, db)
            try UnitRecords.markCopiesLost(custody, db)
            events += custody
            if recovering { events.append(.centerRestored(peers: peers, atMs: now)) }
            return (recovering, events)
        }
        latest.withLock { $0 = config }
        currentVersion.store(config.version, ordering: .relaxed)
        if recovering {
            logger.info("restored this unit's counters from the config-center's copy", metadata: [
                "waitingFor": "\(desk.recoveryState().silent.sorted())",
            ])
            await recovery.finishIfReady()
        }
        logger.info("config adopted", metadata: ["version": "\(config.version)", "sales": "\(config.sales.count)"])
    }
}
