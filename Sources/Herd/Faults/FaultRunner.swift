// Applies a fault plan while the crowd runs, and records when each fault truly began and ended.

/// One fault as it happened.
struct FaultRecord: Codable, Equatable, Sendable {
    var fault: FaultPlan.Fault
    /// When it took effect, in milliseconds since the crowd started; nil when it could not be applied.
    var struckAtMilliseconds: Int?
    /// When it was undone (the unit listening again, the process continued).
    var healedAtMilliseconds: Int?
    /// Why it could not be applied or undone.
    var failure: String?
}

/// Strikes each fault at its time and heals it after its duration, all faults concurrently. Runs every fault to
/// its end even when the crowd is done first: a kill after the last sale still tests that no acknowledged order
/// is lost. Healing runs outside the caller's cancellation, so a cancelled rehearsal leaves nothing stopped.
struct FaultRunner: Sendable {
    let plan: FaultPlan
    let target: any FaultTarget
    let started: ContinuousClock.Instant

    func run() async -> [FaultRecord] {
        await withTaskGroup(of: FaultRecord.self) { group in
            for fault in plan.faults {
                group.addTask { await self.play(fault) }
            }
            var records: [FaultRecord] = []
            for await record in group { records.append(record) }
            return records.sorted {
                ($0.fault.atMilliseconds, $0.fault.targetName) < ($1.fault.atMilliseconds, $1.fault.targetName)
            }
        }
    }

    private func play(_ fault: FaultPlan.Fault) async -> FaultRecord {
        var record = FaultRecord(fault: fault)
        try? await Task.sleep(until: started + .milliseconds(fault.atMilliseconds), clock: .continuous)
        let target = self.target
        // Unstructured tasks: cancellation of the rehearsal must not cut a strike or a heal short.
        if let failure = await Self.outside({ () async throws(FaultFailure) in try await target.strike(fault) }) {
            record.failure = failure.description
            return record
        }
        let struckAt = now()
        record.struckAtMilliseconds = struckAt
        try? await Task.sleep(until: started + .milliseconds(struckAt + fault.forMilliseconds), clock: .continuous)
        if let failure = await Self.outside({ () async throws(FaultFailure) in try await target.heal(fault) }) {
            record.failure = failure.description
        }
        record.healedAtMilliseconds = now()
        return record
    }

    /// Runs `step` in a task of its own (so the caller's cancellation does not reach it); its failure, if any.
    private static func outside(_ step: @escaping @Sendable () async throws(FaultFailure) -> Void) async -> FaultFailure? {
        await Task { () async -> FaultFailure? in
            do throws(FaultFailure) {
                try await step()
                return nil
            } catch {
                return error
            }
        }.value
    }

    private func now() -> Int {
        let elapsed = ContinuousClock.now - started
        return Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
