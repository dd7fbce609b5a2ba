// One invariant of the sale, judged from the data read back.

/// A named check with its verdict and the figures behind it.
struct ClusterCheck: Codable, Equatable, Sendable {
    var name: String
    var passed: Bool
    var detail: String
}
