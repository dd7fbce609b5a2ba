// What a node logs about gossip it did not take: the same lines at units and at the config-center.

public import FlashSaleCore
public import Logging

/// The log lines for parts of gossip messages that were refused. One line per message for what `GossipGate` left
/// out, however many rows it names (a message cannot flood the log); one line per row that `RowIntake` refused.
public enum GossipLog {
    /// One warning for everything `opened` left out, or nothing when nothing was.
    public static func leftOut(_ opened: GossipGate.Opened, logger: Logger) {
        guard let first = opened.leftOut.first else { return }
        logger.warning(
            "gossip rows left out: not signed by their owners (or a witness not by the config-center), or granting to unknown nodes",
            metadata: [
                "from": "\(opened.envelope.from)", "rows": "\(opened.leftOut.count)",
                "first": "\(first.owner) in \(first.sale): \(first.reason.rawValue)",
            ])
    }

    /// A row of `owner` in `sale`, sent by `sender`, was refused: it conflicts with the owner's row kept (the owner
    /// signed two histories: an error, its key should be withdrawn), or it gives or sells more than the owner holds
    /// here (a cheat, or a grant to the owner not heard of yet: taken when it comes again after that grant).
    public static func refused(owner: NodeID, sale: String, from sender: NodeID, conflicting: Bool, logger: Logger) {
        let metadata: Logger.Metadata = ["owner": "\(owner)", "sale": "\(sale)", "from": "\(sender)"]
        if conflicting {
            logger.error("a node signed two histories of its ledger row: the later one is refused; withdraw its key", metadata: metadata)
        } else {
            logger.warning("a ledger row gives or sells more than its owner holds here: refused", metadata: metadata)
        }
    }
}
