// Hands out a unit's order ids in strictly increasing order, whatever the wall clock does.

/// The next-id state of a unit's order log. The caller passes the clock reading; if the clock stands still or
/// steps back, ids keep the last millisecond and count up the sequence, so the log order never breaks.
public struct OrderIDSequence: Sendable {
    public let unit: NodeID
    public private(set) var last: OrderID?

    /// Resumes after `last`, the newest id already in the log (nil for an empty log).
    public init(unit: NodeID, resumingAfter last: OrderID? = nil) {
        self.unit = unit
        self.last = last
    }

    public mutating func next(nowMs: Int64) -> OrderID {
        let id: OrderID
        if let last, nowMs <= last.milliseconds {
            id = OrderID(unit: unit, milliseconds: last.milliseconds, sequence: last.sequence + 1)
        } else {
            id = OrderID(unit: unit, milliseconds: max(nowMs, 0), sequence: 0)
        }
        precondition(last.map { $0 < id } ?? true, "invariant: order ids only grow")
        last = id
        return id
    }
}
