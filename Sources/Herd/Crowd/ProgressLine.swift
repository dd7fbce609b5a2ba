// The progress bar the herd redraws on stderr while the crowd runs.

/// `[#####-----] 2,310/5,000 buyers  1,200 orders  3,900 req/s  4.2 s`, from counters and elapsed time alone.
struct ProgressLine: Equatable, Sendable {
    var buyersDone: Int
    var buyersTotal: Int
    var orders: Int
    var requests: Int
    var elapsedMilliseconds: Int
    /// What the herd is doing (`minting tokens`, `buying`).
    var phase: String

    /// Cells of the bar.
    static let barWidth = 24

    func render() -> String {
        let total = max(buyersTotal, 1)
        let filled = min(Self.barWidth, Self.barWidth * max(buyersDone, 0) / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
        let seconds = Double(max(elapsedMilliseconds, 1)) / 1_000
        let rate = Int((Double(requests) / seconds).rounded())
        return "[\(bar)] \(Figures.grouped(buyersDone))/\(Figures.grouped(buyersTotal)) \(phase)  "
            + "\(Figures.grouped(orders)) orders  \(Figures.grouped(rate)) req/s  \(Figures.decimal(seconds)) s"
    }
}
