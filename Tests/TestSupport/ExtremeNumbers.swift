// A JSON body with each of its numbers in turn set to the extremes, for tests that every such body is refused cleanly.

public import Foundation

/// What a number from the network may be made into: beyond Int64 at both ends, Int64's own ends, negative, a fraction,
/// floats too large for any integer. (NaN and infinity are not JSON; a string where a number belongs is the schema
/// checks' business.)
public enum ExtremeNumbers {
    public static let values = [
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "-1", "0.5",
        "1e308", "-1e308", "1e400",
    ]

    /// Every number in `json` that is the value of a key (`"key":123`; numbers in arrays or strings are not found),
    /// each replaced in turn by each of `values`: the bodies, each named `key=value`.
    public static func mutations(of json: String) throws -> [(name: String, body: String)] {
        let pattern = try NSRegularExpression(pattern: #""([A-Za-z0-9-]+)":(-?[0-9]+(?:\.[0-9]+)?)(?=[,}])"#)
        let text = json as NSString
        return pattern.matches(in: json, range: NSRange(location: 0, length: text.length)).flatMap { match in
            let key = text.substring(with: match.range(at: 1))
            return values.map { value in (key + "=" + value, text.replacingCharacters(in: match.range(at: 2), with: value)) }
        }
    }
}
