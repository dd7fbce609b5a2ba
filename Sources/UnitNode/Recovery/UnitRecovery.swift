// A unit on a new database getting its own row back from the other nodes before it sells.

import FlashSaleCore
import Logging
import Synchronization

/// Lets a unit that lost its database sell again only once the other nodes have told it what it sold and gave
/// before: the config-center's copy first (it also brings the sales), then every peer's copy, which gossip keeps
/// fresher. Each copy is merged into SQLite by maximum, so the freshest one wins; the machine decides when enough
/// has been heard (`UnitMachine.recoveryIsComplete`, `RecoveryProgress`), and this shell rebuilds its books from
/// SQLite then, through the group-commit writer.
final class UnitRecovery: Sendable {
    private let desk: PurchaseDesk
    private let writer: GroupCommitWriter
    private let logger: Logger
    /// Set while a rebuild is under way, so two callers never rebuild at once.
    private let finishing = Atomic<Bool>(false)

    init(desk: PurchaseDesk, writer: GroupCommitWriter, logger: Logger) {
        self.desk = desk
        self.writer = writer
        self.logger = logger
    }

    var isRecovering: Bool { desk.isRecovering }

    /// The config-center's copy of this unit's rows is in SQLite; `peers` still have to be heard.
    func centerRestored(peers: Set<NodeID>) async {
        desk.centerRestored(peers: peers)
        if !peers.isEmpty {
            logger.info("waiting for peers' copies of this unit's counters", metadata: ["peers": "\(peers.sorted())"])
        }
        await finishIfReady()
    }

    /// A genuine gossip message from `node` has been absorbed, its copy of this unit's rows with it.
    func heard(from node: NodeID) async {
        desk.heard(from: node)
        await finishIfReady()
    }

    /// Rebuilds the books from SQLite and opens the unit for sale, once enough has been heard (or waited).
    func finishIfReady() async {
        guard desk.isRecovering else { return }
        let (complete, silent) = desk.recoveryState()
        guard complete, finishing.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        defer { finishing.store(false, ordering: .releasing) }
        let unit = desk.unit
        let sales = desk.saleTerms()
        do {
            // While recovering the machine took no orders, so SQLite holds the whole truth: every book is rebuilt from
            // it, and the machine sells again, in one batch after the same commit.
            try await writer.perform { db in
                try UnitRecords.finishedRecovering(db)
                return ((), try UnitRecords.loaded(sales, unit: unit, known: [], db) + [.recovered])
            }
            if silent.isEmpty {
                logger.warning("started on a new database: counters restored from the config-center and every peer, selling again")
            } else {
                logger.warning("started on a new database: some peers stayed silent, selling on what the others remembered",
                    metadata: ["silent": "\(silent.sorted())"])
            }
        } catch {
            logger.error("cannot reload the sales after recovery; trying again", metadata: ["error": "\(error)"])
        }
    }
}
