// Query parameters read with the same checks and the same problem answers everywhere.

public import Hummingbird

extension Request {
    /// An integer query parameter within `range` (or `value` when absent); anything else is a 400 problem
    /// naming the parameter.
    public func integerQuery(_ name: String, default value: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw Problem(.invalidInput, "'\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
