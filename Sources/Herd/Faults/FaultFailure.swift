// Why a fault, or the cluster it needs, could not be had.

/// A fault that could not be applied or undone, said plainly (it goes into the report).
struct FaultFailure: Error, Equatable, CustomStringConvertible {
    let description: String
}
