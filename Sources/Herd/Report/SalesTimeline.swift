// Cumulative orders per region over the run, in fixed time buckets: the chart of the HTML report.

/// Orders the herd got, counted per region at the end of each bucket since the start of the crowd. Built from
/// the offsets the herd recorded, so it needs no clock of its own.
struct SalesTimeline: Codable, Equatable, Sendable {
    /// Width of a bucket.
    var bucketMilliseconds: Int
    /// Regions in display order.
    var regions: [String]
    /// Per region, the orders taken up to the end of each bucket (all arrays have the same length).
    var cumulative: [String: [Int]]

    /// Most buckets a timeline holds: enough points for a smooth line, few enough for a small page.
    static let bucketsMax = 600

    /// 100 ms buckets for a short run, coarser ones for a long one, so there are never more than `bucketsMax`.
    static func bucketMilliseconds(forDurationMilliseconds duration: Int) -> Int {
        for width in [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000] where duration / width < bucketsMax {
            return width
        }
        return max(60_000, duration / bucketsMax + 1)
    }

    /// `sales` are (region, milliseconds since the start) of each order; orders of a region not in `regions` are
    /// added as a region of their own; offsets beyond `durationMilliseconds` land in the last bucket.
    init(sales: [(region: String, atMilliseconds: Int)], regions: [String], durationMilliseconds: Int, bucketMilliseconds: Int) {
        let width = max(bucketMilliseconds, 1)
        let duration = max(durationMilliseconds, 0)
        let buckets = min(duration / width + 1, Self.bucketsMax + 1)
        var order = regions
        for sale in sales where !order.contains(sale.region) { order.append(sale.region) }
        var perBucket: [String: [Int]] = Dictionary(uniqueKeysWithValues: order.map { ($0, [Int](repeating: 0, count: buckets)) })
        for sale in sales {
            let index = min(max(sale.atMilliseconds, 0) / width, buckets - 1)
            perBucket[sale.region]?[index] += 1
        }
        var cumulative: [String: [Int]] = [:]
        for (region, counts) in perBucket {
            var running = 0
            cumulative[region] = counts.map { running += $0; return running }
        }
        self.bucketMilliseconds = width
        self.regions = order
        self.cumulative = cumulative
    }

    var bucketCount: Int { cumulative.values.first?.count ?? 0 }

    /// Orders of every region at the end of the run.
    var totals: [String: Int] { cumulative.mapValues { $0.last ?? 0 } }
}
