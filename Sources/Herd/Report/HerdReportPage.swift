// The report as one self-contained HTML page: the tables and an inline SVG chart of sales per region over time.

/// HTML of a `HerdReport`, with no script, stylesheet or font from elsewhere, so the file can be mailed or
/// archived and still open the same years later.
struct HerdReportPage {
    let report: HerdReport

    init(_ report: HerdReport) { self.report = report }

    /// Line colours of the chart's regions, in order (a palette readable by most colour-blind readers).
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]

    func render() -> String {
        let r = report
        let g = Figures.grouped as (Int) -> String
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>herd: \(Self.escape(r.settings.sale))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
            table { border-collapse: collapse; margin: .5em 0 1.5em; }
            th, td { padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: left; }
            th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .ok { color: #087a2a; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
            svg text { font: 12px system-ui, sans-serif; fill: #333; }
            </style></head><body>

            """
        html += "<h1>Rehearsal of sale <code>\(Self.escape(r.settings.sale))</code></h1>\n"
        html += "<p>\(Self.escape(Self.summary(r)))</p>\n"
        let failed = r.checks.filter { !$0.passed }.count
        html += failed == 0
            ? "<p class=\"ok\">All \(r.checks.count) checks passed.</p>\n"
            : "<p class=\"fail\">\(failed) of \(r.checks.count) checks failed.</p>\n"

        html += "<h2>Sales per region over time</h2>\n" + chart(r.timeline, faults: r.faults)
        if let faults = r.faults {
            html += "<h2>Faults</h2>\n<p>\(Self.escape(faults.asked)) on the \(Self.escape(faults.target)), seed \(faults.seed)"
                + " (shaded on the chart; <code>--fault-seed \(faults.seed)</code> repeats the plan).</p>\n"
            let seconds = { (ms: Int?) in ms.map { Figures.decimal(Double($0) / 1_000, places: 2) } ?? "-" }
            html += Self.table(
                ["From (s)", "To (s)", "Fault", "Target", "Orders", "Answers meanwhile"],
                faults.events.map { event in
                    [
                        seconds(event.struckAtMilliseconds), seconds(event.healedAtMilliseconds), event.label,
                        event.target, g(event.orders),
                        event.failure.map { "FAILED: \($0)" } ?? FaultReport.summary(event.answers, limit: 8),
                    ]
                })
        }

        let regions = HerdReportText.union(r.buyersPlannedByRegion.keys, r.ordersByRegion.keys, r.cluster.liveOrdersByRegion.keys)
        html += "<h2>Orders per region</h2>\n"
        html += Self.table(
            ["Region", "Buyers", "Orders (201)", "In the logs"],
            regions.map { [$0, g(r.buyersPlannedByRegion[$0] ?? 0), g(r.ordersByRegion[$0] ?? 0), g(r.cluster.liveOrdersByRegion[$0] ?? 0)] }
                + [["total", g(r.buyersPlannedByRegion.values.reduce(0, +)), g(r.orders), g(r.cluster.liveOrders)]])
        html += "<h2>Orders per unit</h2>\n"
        html += Self.table(
            ["Unit", "Orders (201)", "In the logs"],
            HerdReportText.union(r.ordersByUnit.keys, r.cluster.liveOrdersByUnit.keys, []).map {
                [$0, g(r.ordersByUnit[$0] ?? 0), g(r.cluster.liveOrdersByUnit[$0] ?? 0)]
            })
        html += "<h2>Buyers by outcome</h2>\n"
        html += Self.table(["Outcome", "Buyers"], r.outcomes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { [$0.key, g($0.value)] })
        html += "<h2>Answers</h2>\n"
        html += Self.table(
            ["Status", "Code", "Count"], r.answers.map { ["\($0.status)", $0.code ?? "", g($0.count)] })
        let l = r.latency
        html += "<h2>Latency of purchase requests (ms)</h2>\n"
        html += Self.table(
            ["Requests", "p50", "p90", "p99", "p99.9", "max", "mean"],
            [[g(l.count)] + [l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs, l.meanMs].map { Figures.decimal($0, places: 2) }])
        let c = r.cluster
        html += "<h2>Checks read back from the cluster</h2>\n"
        html += "<p>minted \(Figures.grouped(c.minted)) = sold \(Figures.grouped(c.sold)) + returned \(Figures.grouped(c.returned))"
            + " + at units \(Figures.grouped(c.atUnits)) + never allocated \(Figures.grouped(c.neverAllocated))</p>\n"
        html += "<table><tr><th>Check</th><th></th><th>Detail</th></tr>\n"
        for check in r.checks {
            html += "<tr><td>\(Self.escape(check.name))</td>"
                + (check.passed ? "<td class=\"ok\">ok</td>" : "<td class=\"fail\">FAIL</td>")
                + "<td>\(Self.escape(check.detail))</td></tr>\n"
        }
        html += "</table>\n</body></html>\n"
        return html
    }

    static func summary(_ r: HerdReport) -> String {
        let g = Figures.grouped as (Int) -> String
        return "\(g(r.buyersStarted)) of \(g(r.settings.buyers)) buyers, \(r.settings.concurrency) at a time, against "
            + "\(r.settings.center); \(g(r.requests)) requests in \(Figures.decimal(r.durationSeconds, places: 2)) s "
            + "(\(g(Int(r.requestsPerSecond.rounded()))) requests/s), \(g(r.orders)) orders (\(Figures.decimal(r.ordersPerSecond)) orders/s)."
    }

    /// Cumulative orders per region against time, one polyline per region, axes with a few round ticks.
    func chart(_ timeline: SalesTimeline, faults: FaultReport? = nil) -> String {
        // Below the time axis, one lane per fault: a bar from its strike to its heal, and its name.
        let lanes = faults?.events.filter { $0.struckAtMilliseconds != nil } ?? []
        let laneHeight = 16.0
        let laneSpace = lanes.isEmpty ? 0 : laneHeight * Double(lanes.count) + 12
        let (width, height) = (720.0, 320.0 + laneSpace)
        let (left, right, top, bottom) = (56.0, 130.0, 12.0, 40.0 + laneSpace)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let buckets = timeline.bucketCount
        let seconds = Double(buckets * timeline.bucketMilliseconds) / 1_000
        let highest = max(timeline.cumulative.values.compactMap(\.last).max() ?? 0, 1)
        let yMax = Double(Self.niceCeiling(highest))
        func x(_ bucket: Int) -> Double { left + plotWidth * Double(bucket + 1) / Double(max(buckets, 1)) }
        func y(_ count: Int) -> Double { top + plotHeight * (1 - Double(count) / yMax) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\""
            + " viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"cumulative orders per region over time\">\n"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"
        // Each fault a light band across the plot, under the lines, and a bar with its name in its own lane.
        let totalMs = Double(max(buckets * timeline.bucketMilliseconds, 1))
        for (lane, event) in lanes.enumerated() {
            let from = event.struckAtMilliseconds ?? 0
            let to = max(event.healedAtMilliseconds ?? from, from)
            let x0 = left + plotWidth * min(Double(from) / totalMs, 1)
            let x1 = left + plotWidth * min(Double(to) / totalMs, 1)
            let name = Self.escape("\(event.label) \(event.target)")
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(max(x1 - x0, 1)))\" height=\"\(f(plotHeight))\""
                + " fill=\"#888\" fill-opacity=\"0.08\"><title>\(name)</title></rect>\n"
            let laneY = top + plotHeight + 56 + laneHeight * Double(lane)
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(laneY - 9))\" width=\"\(f(max(x1 - x0, 2)))\" height=\"10\" fill=\"#b00020\""
                + " fill-opacity=\"0.6\"><title>\(name)</title></rect>"
            svg += "<text x=\"\(f(x1 + 4))\" y=\"\(f(laneY))\">\(name)</text>\n"
        }
        for step in 0...4 {
            let value = Int(yMax) * step / 4
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y(value)))\" y2=\"\(f(y(value)))\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(value) + 4))\" text-anchor=\"end\">\(Figures.grouped(value))</text>\n"
            let time = seconds * Double(step) / 4
            let tx = left + plotWidth * Double(step) / 4
            svg += "<text x=\"\(f(tx))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(Figures.decimal(time)) s</text>\n"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight + 36))\" text-anchor=\"middle\">"
            + "time since the crowd started (\(timeline.bucketMilliseconds) ms buckets)</text>\n"
        for (index, region) in timeline.regions.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let counts = timeline.cumulative[region] ?? []
            var points = ["\(f(left)),\(f(y(0)))"]
            for (bucket, count) in counts.enumerated() { points.append("\(f(x(bucket))),\(f(y(count)))") }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\">"
                + "<title>\(Self.escape(region)): \(Figures.grouped(counts.last ?? 0)) orders</title></polyline>\n"
            let legendY = top + 14 + Double(index) * 18
            svg += "<line x1=\"\(f(width - right + 12))\" x2=\"\(f(width - right + 32))\" y1=\"\(f(legendY - 4))\" y2=\"\(f(legendY - 4))\""
                + " stroke=\"\(colour)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(f(width - right + 38))\" y=\"\(f(legendY))\">\(Self.escape(region)) (\(Figures.grouped(counts.last ?? 0)))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`: axis maxima people can read.
    static func niceCeiling(_ value: Int) -> Int {
        var power = 1
        while true {
            for factor in [1, 2, 5] where factor * power >= value { return factor * power }
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { return value }
            power = next
        }
    }

    private func f(_ value: Double) -> String { String(Figures.decimal(value, places: 1).filter { $0 != "," }) }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        // A column of figures is right-aligned, its heading too, as in the text report.
        let figures = header.indices.map { column in
            !rows.isEmpty && rows.allSatisfy { $0.indices.contains(column) && TextTable.isFigure($0[column]) }
        }
        var html = "<table><tr>" + header.enumerated().map { index, title in
            figures[index] ? "<th class=\"n\">\(escape(title))</th>" : "<th>\(escape(title))</th>"
        }.joined() + "</tr>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in
                figures.indices.contains(index) && figures[index]
                    ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// Text as HTML: the five characters that could open markup or end an attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
