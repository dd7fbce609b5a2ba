// `host:port` as both executables take it on their command line.

/// A listen address given as `host:port`.
public enum ListenAddress {
    /// The host and port of `text`, or nil unless it is `host:port` with a port in 0–65535.
    public static func parse(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        return (String(text[..<colon]), port)
    }
}
