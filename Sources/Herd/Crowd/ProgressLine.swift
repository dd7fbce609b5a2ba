// The progress bar the herd redraws on stderr while the crowd runs.

/// `[#####-----] 2,310/5,000 buyers  1,200 orders  3,900 req/s  4.2 s`, from counters and elapsed time alone.
struct ProgressLine: Equatable, Sendable {
    var buyersDone: Int
    var buyersTotal: Int
    var orders: Int
    var requests: Int
    var elapsedMilliseconds: Int
    /// What is counted (`tokens`, `buyers`).
    var phase: String
    /// Orders and request rate are shown (not while tokens are minted).
    var showsSales = true

    /// Cells of the bar.
    static let barWidth = 24

    func render() -> String {
        let total = max(buyersTotal, 1)
        let filled = min(Self.barWidth, Self.barWidth * max(buyersDone, 0) / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
        let seconds = Double(max(elapsedMilliseconds, 1)) / 1_000
        let rate = Int((Double(requests) / seconds).rounded())
        let counted = "[\(bar)] \(Figures.grouped(buyersDone))/\(Figures.grouped(buyersTotal)) \(phase)  "
        let sales = showsSales ? "\(Figures.grouped(orders)) orders  \(Figures.grouped(rate)) req/s  " : ""
        return counted + sales + "\(Figures.decimal(seconds)) s"
    }
}
