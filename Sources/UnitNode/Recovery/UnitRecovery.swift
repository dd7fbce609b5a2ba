// A unit on a new database getting its own row back from the other nodes before it sells.

import FlashSaleCore
import Logging
import Synchronization

/// Lets a unit that lost its database sell again only once the other nodes have told it what it sold and gave
/// before: the config-center's copy first (it also brings the sales), then every peer's copy, which gossip keeps
/// fresher. Each copy is merged into SQLite by maximum, so the freshest one wins (`ConfigFollower.adopt`,
/// `GossipExchange`, whose writes tell the machine `.centerRestored` and `.heard`); the machine decides when enough
/// has been heard (`UnitMachine.recoveryIsComplete`, `RecoveryProgress`), and this shell rebuilds its books from
/// SQLite then, through the group-commit writer. Asked after every such write.
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

    /// Rebuilds the books from SQLite and opens the unit for sale, once enough has been heard (or waited).
    func finishIfReady() async {
        guard desk.isRecovering else { return }
        let (complete, silent) = desk.recoveryState()
        // Set for good once a finish succeeds (the machine then says the unit is not recovering); cleared on failure.
        guard complete, finishing.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
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
            finishing.store(false, ordering: .releasing)
        }
    }
}
