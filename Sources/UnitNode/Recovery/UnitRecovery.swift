// A unit on a new database getting its own row back from the other nodes before it sells.

import FlashSaleCore
import GRDB
import Logging
import Synchronization

/// Lets a unit that lost its database sell again only once the other nodes have told it what it sold and gave
/// before: the config-center's copy first (it also brings the sales), then every peer's copy, which gossip keeps
/// fresher. Each copy is merged into SQLite by maximum, so the freshest one wins; `RecoveryProgress` decides when
/// enough has been heard.
final class UnitRecovery: Sendable {
    private let desk: PurchaseDesk
    private let pool: DatabasePool
    private let logger: Logger
    private let nowMs: @Sendable () -> Int64
    private let state: Mutex<(progress: RecoveryProgress, finishing: Bool)>

    init(desk: PurchaseDesk, pool: DatabasePool, patienceMs: Int64, nowMs: @escaping @Sendable () -> Int64, logger: Logger) {
        self.desk = desk
        self.pool = pool
        self.nowMs = nowMs
        self.logger = logger
        self.state = Mutex((RecoveryProgress(patienceMs: patienceMs), false))
    }

    var isRecovering: Bool { desk.isRecovering }

    /// The config-center's copy of this unit's rows is in SQLite; `peers` still have to be heard.
    func centerRestored(peers: Set<NodeID>) async {
        let now = nowMs()
        state.withLock { $0.progress.centerRestored(peers: peers, atMs: now) }
        if !peers.isEmpty {
            logger.info("waiting for peers' copies of this unit's counters", metadata: ["peers": "\(peers.sorted())"])
        }
        await finishIfReady()
    }

    /// A genuine gossip message from `node` has been absorbed, its copy of this unit's rows with it.
    func heard(from node: NodeID) async {
        state.withLock { $0.progress.heard(from: node) }
        await finishIfReady()
    }

    /// Rebuilds the desk from SQLite and opens the unit for sale, once enough has been heard (or waited).
    func finishIfReady() async {
        guard desk.isRecovering else { return }
        let now = nowMs()
        let (ready, silent) = state.withLock { state -> (Bool, Set<NodeID>) in
            guard !state.finishing, state.progress.isComplete(atMs: now) else { return (false, []) }
            state.finishing = true
            return (true, state.progress.silentPeers)
        }
        guard ready else { return }
        do {
            // While recovering the desk took no orders, so SQLite holds the whole truth: the desk is rebuilt from it.
            try await UnitStartup.loadSales(desk.saleTerms(), into: desk, from: pool)
            desk.finishRecovery()
            if silent.isEmpty {
                logger.warning("started on a new database: counters restored from the config-center and every peer, selling again")
            } else {
                logger.warning("started on a new database: some peers stayed silent, selling on what the others remembered",
                    metadata: ["silent": "\(silent.sorted())"])
            }
        } catch {
            logger.error("cannot reload the sales after recovery; trying again", metadata: ["error": "\(error)"])
            state.withLock { $0.finishing = false }
        }
    }
}
