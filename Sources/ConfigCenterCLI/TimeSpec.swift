// Times as operators write them: ISO 8601, "now", or an offset from now.

import ArgumentParser
import Foundation

enum TimeSpec {
    /// True when `text` is relative to now, so re-applying a file must not move an existing sale's window.
    static func isRelative(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed == "now" || trimmed.hasPrefix("+")
    }

    static func parse(_ text: String, now: Date, option: String) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "now" { return now }
        if trimmed.hasPrefix("+"), let unit = trimmed.last, let amount = Double(trimmed.dropFirst().dropLast()), amount >= 0 {
            let scale: Double? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            default: nil
            }
            if let scale { return now.addingTimeInterval(amount * scale) }
        }
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        throw ValidationError("\(option) '\(text)': use ISO 8601 (2026-11-25T12:00:00Z), 'now' or '+10m', '+2h', '+30s', '+1d'")
    }
}
