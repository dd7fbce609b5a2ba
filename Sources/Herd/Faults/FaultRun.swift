// A run's faults as the report takes them in.

/// The fault plan of a run and what became of it, as the report takes it in.
struct FaultRun: Sendable {
    var asked: String
    var plan: FaultPlan
    var target: String
    var records: [FaultRecord]
}
