// How the herd's buyers are shared between regions: `eu-west=60,us-east=25,ap-south=15`.

import Foundation

/// Relative demand per region, and the deterministic assignment of buyer numbers to regions that follows from
/// it. Weights are relative (they need not add up to 100); the assignment interleaves regions so that every
/// moment of the crowd has the same mix, not one region after another.
struct DemandSplit: Equatable, Sendable {
    /// Regions in the order given, with their weights (each > 0).
    let shares: [(region: String, weight: Int)]

    /// Largest weight accepted: percentages or small counts, not a way to overflow the arithmetic.
    static let weightMax = 1_000_000

    struct Invalid: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    init(shares: [(region: String, weight: Int)]) throws(Invalid) {
        guard !shares.isEmpty else { throw Invalid(description: "the split names no region") }
        var seen: Set<String> = []
        for share in shares {
            guard !share.region.isEmpty else { throw Invalid(description: "a region of the split has no name") }
            guard seen.insert(share.region).inserted else {
                throw Invalid(description: "region '\(share.region)' appears twice in the split")
            }
            guard (1...Self.weightMax).contains(share.weight) else {
                throw Invalid(description: "the weight of '\(share.region)' must be 1-\(Self.weightMax)")
            }
        }
        self.shares = shares
    }

    /// Parses `region=weight` pairs separated by commas (a trailing `%` on a weight is allowed).
    init(parsing text: String) throws(Invalid) {
        var shares: [(region: String, weight: Int)] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            var weightText = pair.count == 2 ? pair[1] : ""
            if weightText.hasSuffix("%") { weightText.removeLast() }
            guard pair.count == 2, let weight = Int(weightText) else {
                throw Invalid(description: "'\(part)' is not region=weight (for example eu-west=60)")
            }
            shares.append((pair[0], weight))
        }
        try self.init(shares: shares)
    }

    /// Equal shares of the given regions.
    static func even(_ regions: [String]) throws(Invalid) -> DemandSplit {
        try DemandSplit(shares: regions.map { ($0, 1) })
    }

    var regions: [String] { shares.map(\.region) }

    /// Buyers per region out of `buyers`, by largest remainder: the counts add up to `buyers` exactly and each is
    /// within one of its exact share. Ties in the remainder go to the region named first.
    func counts(buyers: Int) -> [String: Int] {
        let total = shares.reduce(0) { $0 + $1.weight }
        var counts: [String: Int] = [:]
        var remainders: [(index: Int, remainder: Int)] = []
        var assigned = 0
        for (index, share) in shares.enumerated() {
            let exact = buyers.multipliedFullWidth(by: share.weight)
            let (quotient, remainder) = total.dividingFullWidth(exact)
            counts[share.region] = quotient
            assigned += quotient
            remainders.append((index, remainder))
        }
        let order = remainders.sorted { ($0.remainder, -$0.index) > ($1.remainder, -$1.index) }
        for entry in order.prefix(buyers - assigned) { counts[shares[entry.index].region, default: 0] += 1 }
        return counts
    }

    /// The region of each buyer `0..<buyers`: exactly `counts(buyers:)` per region, interleaved by smooth
    /// weighted round-robin (as nginx balances upstreams), so a split of 60/40 goes A B A B A, A B A B A, ...
    func assignments(buyers: Int) -> [String] {
        let counts = counts(buyers: buyers)
        let weights = shares.map { counts[$0.region] ?? 0 }
        var current = [Int](repeating: 0, count: shares.count)
        var result: [String] = []
        result.reserveCapacity(buyers)
        for _ in 0..<max(buyers, 0) {
            var best = 0
            for index in shares.indices {
                current[index] += weights[index]
                if current[index] > current[best] { best = index }
            }
            current[best] -= buyers
            result.append(shares[best].region)
        }
        return result
    }

    static func == (lhs: DemandSplit, rhs: DemandSplit) -> Bool {
        lhs.shares.map(\.region) == rhs.shares.map(\.region) && lhs.shares.map(\.weight) == rhs.shares.map(\.weight)
    }
}
