// The unit's machine behind its one lock, shared by the purchase desk and the group-commit writer.

import FlashSaleCore
import NIOConcurrencyHelpers

/// `UnitMachine` behind one lock, never held across an await or any I/O. The purchase desk asks it for decisions;
/// the group-commit writer tells it, after each commit, what the transaction made durable (`apply`), in one
/// acquisition per batch.
///
/// The lock is a plain pthread mutex (`NIOLock`), not the standard library's `Mutex`: on Linux that one spins
/// before it sleeps, and with the event loops and the writer on one core (how the benchmark pins a server, and
/// what a busy machine amounts to) a waiter spun while the holder could not run: a tenth of the full purchase
/// path's time went to `_MutexHandle._lockSlow`. A waiter here sleeps at once.
final class LockedMachine: Sendable {
    private let box: NIOLockedValueBox<UnitMachine>

    init(_ machine: UnitMachine) { box = NIOLockedValueBox(machine) }

    func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout UnitMachine) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // `withLockedValue` rethrows untyped; the outcome is carried out as a value to keep the caller's error type.
        let outcome = box.withLockedValue { (machine: inout UnitMachine) -> Swift.Result<Result, Failure> in
            do throws(Failure) {
                return .success(try body(&machine))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// What the disk made durable (or could not), in order.
    func apply(_ events: [UnitMachine.Event]) {
        guard !events.isEmpty else { return }
        box.withLockedValue { machine in for event in events { machine.apply(event) } }
    }
}
