// One fault of a rehearsal as it happened.

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
