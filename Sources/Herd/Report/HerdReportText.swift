// The report as the terminal shows it.

/// Plain text tables of a `HerdReport`, for stdout.
struct HerdReportText {
    let report: HerdReport

    init(_ report: HerdReport) { self.report = report }

    func render() -> String {
        let r = report
        let g = Figures.grouped as (Int) -> String
        var lines: [String] = []
        let split = r.settings.split.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        lines.append(
            "herd: sale \(r.settings.sale) at \(r.settings.center): \(g(r.buyersStarted)) of \(g(r.settings.buyers)) buyers,"
                + " \(r.settings.concurrency) at a time, split \(split)")
        var terms = ["per-user limit \(r.perUserLimit)"]
        terms.append(r.tokensRequired ? "tokens required (\(g(r.tokensMinted)) minted)" : "no tokens")
        if let difficulty = r.captchaDifficulty { terms.append("proof of work \(g(difficulty)) (\(g(r.challengesSolved)) solved)") }
        lines.append(terms.joined(separator: ", "))
        lines.append(
            "duration \(Figures.decimal(r.durationSeconds, places: 2)) s   requests \(g(r.requests))"
                + " (\(g(Int(r.requestsPerSecond.rounded())))/s)   orders \(g(r.orders)) (\(Figures.decimal(r.ordersPerSecond))/s)")
        lines.append("")

        let regions = Self.union(r.buyersPlannedByRegion.keys, r.ordersByRegion.keys, r.cluster.liveOrdersByRegion.keys)
        lines.append(
            TextTable(
                ["REGION", "BUYERS", "ORDERS", "IN LOGS"],
                regions.map { [
                    $0, g(r.buyersPlannedByRegion[$0] ?? 0), g(r.ordersByRegion[$0] ?? 0), g(r.cluster.liveOrdersByRegion[$0] ?? 0),
                ] } + [["total", g(r.buyersPlannedByRegion.values.reduce(0, +)), g(r.orders), g(r.cluster.liveOrders)]]
            ).render())
        lines.append("")
        let units = Self.union(r.ordersByUnit.keys, r.cluster.liveOrdersByUnit.keys, [])
        lines.append(
            TextTable(
                ["UNIT", "ORDERS", "IN LOGS"],
                units.map { [$0, g(r.ordersByUnit[$0] ?? 0), g(r.cluster.liveOrdersByUnit[$0] ?? 0)] }
            ).render())
        lines.append("")
        lines.append(
            TextTable(
                ["BUYERS BY OUTCOME", "COUNT"],
                r.outcomes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { [$0.key, g($0.value)] }
            ).render())
        lines.append("")
        lines.append(
            TextTable(
                ["ANSWER", "COUNT"],
                r.answers.map { answer in [answer.code.map { "\(answer.status) \($0)" } ?? "\(answer.status)", g(answer.count)] }
            ).render())
        lines.append("")
        if let faults = r.faults {
            lines.append(Self.faultLines(faults))
            lines.append("")
        }
        let l = r.latency
        lines.append(
            "latency ms (\(g(l.count)) purchase requests): p50 \(Figures.decimal(l.p50Ms, places: 2))"
                + "  p90 \(Figures.decimal(l.p90Ms, places: 2))  p99 \(Figures.decimal(l.p99Ms, places: 2))"
                + "  p99.9 \(Figures.decimal(l.p999Ms, places: 2))  max \(Figures.decimal(l.maxMs, places: 2))"
                + "  mean \(Figures.decimal(l.meanMs, places: 2))")
        lines.append("")
        let c = r.cluster
        lines.append(
            "cluster: minted \(Figures.grouped(c.minted)) = sold \(Figures.grouped(c.sold)) + returned \(Figures.grouped(c.returned))"
                + " + at units \(Figures.grouped(c.atUnits)) + never allocated \(Figures.grouped(c.neverAllocated))")
        lines.append(
            TextTable(["CHECK", "", "DETAIL"], r.checks.map { [$0.name, $0.passed ? "ok" : "FAIL", $0.detail] }).render())
        let failed = r.checks.filter { !$0.passed }.count
        lines.append(failed == 0 ? "all \(r.checks.count) checks passed" : "\(failed) of \(r.checks.count) checks FAILED")
        return lines.joined(separator: "\n")
    }

    /// The faults table: when each struck and healed, and what buyers saw meanwhile.
    static func faultLines(_ faults: FaultReport) -> String {
        let seconds = { (ms: Int?) in ms.map { Figures.decimal(Double($0) / 1_000, places: 2) } ?? "-" }
        let heading = "faults \(faults.asked) on the \(faults.target) (seed \(faults.seed), within \(seconds(faults.spanMilliseconds)) s):"
        let table = TextTable(
            ["FROM S", "TO S", "FAULT", "TARGET", "ORDERS", "ANSWERS MEANWHILE"],
            faults.events.map { event in
                [
                    seconds(event.struckAtMilliseconds), seconds(event.healedAtMilliseconds), event.label, event.target,
                    Figures.grouped(event.orders),
                    event.failure.map { "FAILED: \($0)" } ?? FaultReport.summary(event.answers),
                ]
            }
        ).render()
        return heading + "\n" + table
    }

    /// Keys of the three maps, sorted, once each.
    static func union(_ a: some Sequence<String>, _ b: some Sequence<String>, _ c: some Sequence<String>) -> [String] {
        Set(a).union(b).union(c).sorted()
    }
}
