// Applies a fault plan while the crowd runs, and records when each fault truly began and ended.

/// Strikes each fault at its time and heals it after its duration, faults on different targets concurrently, those
/// on one target one after another: a fault waits for the one before it on its target to heal (a restart can take
/// longer than planned) and then for the plan's gap. Every fault runs to its end even when the crowd is done
/// first: a kill after the last sale still tests that no acknowledged order is lost. Each strike is followed by its
/// heal, also when the strike failed halfway, so nothing stays broken into the read-back.
struct FaultRunner: Sendable {
    let plan: FaultPlan
    let target: any FaultTarget
    let started: ContinuousClock.Instant
    /// Told of every fault in force, so a signal can undo it.
    var teardown: Teardown? = nil

    func run() async -> [FaultRecord] {
        let byTarget = Dictionary(grouping: plan.faults, by: \.targetName)
        return await withTaskGroup(of: [FaultRecord].self) { group in
            for faults in byTarget.values {
                group.addTask {
                    var records: [FaultRecord] = []
                    var free = 0
                    for fault in faults.sorted(by: { $0.atMilliseconds < $1.atMilliseconds }) {
                        let record = await self.play(fault, notBefore: free)
                        free = (record.healedAtMilliseconds ?? self.now()) + FaultPlan.gapMilliseconds
                        records.append(record)
                    }
                    return records
                }
            }
            var records: [FaultRecord] = []
            for await some in group { records += some }
            return records.sorted {
                ($0.fault.atMilliseconds, $0.fault.targetName) < ($1.fault.atMilliseconds, $1.fault.targetName)
            }
        }
    }

    private func play(_ fault: FaultPlan.Fault, notBefore: Int) async -> FaultRecord {
        var record = FaultRecord(fault: fault)
        try? await Task.sleep(until: started + .milliseconds(max(fault.atMilliseconds, notBefore)), clock: .continuous)
        let target = self.target
        let strikeFailure = await Self.step { () async throws(FaultFailure) in try await target.strike(fault) }
        let struck = strikeFailure == nil
        let open = await teardown?.struck(fault)
        if struck {
            record.struckAtMilliseconds = now()
            try? await Task.sleep(until: started + .milliseconds(now() + fault.forMilliseconds), clock: .continuous)
        }
        let healFailure = await Self.step { () async throws(FaultFailure) in try await target.heal(fault, struck: struck) }
        if let open { await teardown?.healed(open) }
        if healFailure == nil { record.healedAtMilliseconds = now() }
        record.failure = (strikeFailure ?? healFailure)?.description
        return record
    }

    /// Runs `step` to its end; its failure, if any.
    private static func step(_ step: @Sendable () async throws(FaultFailure) -> Void) async -> FaultFailure? {
        do throws(FaultFailure) {
            try await step()
            return nil
        } catch {
            return error
        }
    }

    private func now() -> Int {
        let elapsed = ContinuousClock.now - started
        return Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
