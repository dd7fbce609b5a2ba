// Rate limits as operators type them: "100" (per minute, burst 100) or "100/10" (per minute / burst).

import ArgumentParser
import FlashSaleCore

enum RateOption {
    static func parse(_ text: String, option: String) throws -> RateLimit {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let perMinute = Int(parts[0]),
            let burst = parts.count == 2 ? Int(parts[1]) : perMinute
        else {
            throw ValidationError("\(option) must be PER_MINUTE or PER_MINUTE/BURST, e.g. 100/10")
        }
        let limit = RateLimit(perMinute: perMinute, burst: burst)
        if let violation = limit.violation { throw ValidationError("\(option): \(violation)") }
        return limit
    }
}
