// The unit's machine behind its one lock, shared by the purchase desk and the group-commit writer.

import FlashSaleCore
import Synchronization

/// `UnitMachine` behind one lock, never held across an await or any I/O. The purchase desk asks it for decisions;
/// the group-commit writer tells it, after each commit, what the transaction made durable (`apply`), in one
/// acquisition per batch.
final class LockedMachine: Sendable {
    private let mutex: Mutex<UnitMachine>

    init(_ machine: UnitMachine) { mutex = Mutex(machine) }

    func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout UnitMachine) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock { (machine: inout UnitMachine) throws(Failure) -> Result in try body(&machine) }
    }

    /// What the disk made durable (or could not), in order.
    func apply(_ events: [UnitMachine.Event]) {
        guard !events.isEmpty else { return }
        mutex.withLock { machine in for event in events { machine.apply(event) } }
    }
}
