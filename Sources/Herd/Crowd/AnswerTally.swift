// Every answer the herd received, counted by HTTP status and problem code.

/// Counts of answers by status and code (`201`, `409 already-bought`, `421 wrong-unit`...), one per HTTP
/// answer, retries and redirects included; transport failures count under status 0 with the error's kind.
/// Each worker keeps its own and they are merged at the end, so counting needs no lock.
struct AnswerTally: Sendable, Equatable {
    /// One kind of answer.
    struct Key: Hashable, Sendable, Comparable, Codable {
        /// HTTP status, or 0 when no answer arrived (connection refused, timeout).
        var status: Int
        /// The problem code of a refusal, the kind of transport failure, or nil for a success.
        var code: String?

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.status, lhs.code ?? "") < (rhs.status, rhs.code ?? "") }

        var label: String { code.map { "\(status) \($0)" } ?? "\(status)" }
    }

    private(set) var counts: [Key: Int] = [:]

    mutating func add(status: Int, code: String?, count: Int = 1) {
        counts[Key(status: status, code: code), default: 0] += count
    }

    mutating func merge(_ other: AnswerTally) {
        for (key, count) in other.counts { counts[key, default: 0] += count }
    }

    var total: Int { counts.values.reduce(0, +) }

    /// Answers in status then code order.
    var sorted: [(key: Key, count: Int)] { counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}
