// Numbers formatted for the report, the same on every machine (no locale).

/// Figures as people read them: 12,345 and 3.14.
enum Figures {
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func grouped(_ value: Int64) -> String { grouped(Int(value)) }

    /// `value` with `places` decimals, rounded half away from zero; no locale.
    static func decimal(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled) - whole * Int(scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return sign + grouped(whole) }
        let fractionText = String(fraction)
        return sign + grouped(whole) + "." + String(repeating: "0", count: max(places - fractionText.count, 0)) + fractionText
    }
}
