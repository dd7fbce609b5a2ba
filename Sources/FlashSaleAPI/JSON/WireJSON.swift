// The JSON settings every process and client shares, so dates and keys look the same everywhere.

public import Foundation

/// Encoders and decoders for the wire: ISO 8601 dates, sorted keys (stable bodies, easy diffs).
///
/// `encoder` and `decoder` are shared, built once: the purchase path encodes every 201 with them, and building a
/// `JSONEncoder` per answer showed in its profile. Foundation's coders are `Sendable` and their `encode`/`decode`
/// leave them untouched, so sharing is safe as long as nobody changes their settings; a caller that needs other
/// settings (Herd's pretty report) takes its own from `makeEncoder()`.
public enum WireJSON {
    public static let encoder: JSONEncoder = makeEncoder()

    public static let decoder: JSONDecoder = makeDecoder()

    /// A fresh encoder with the wire's settings, for a caller that adds settings of its own.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A fresh decoder with the wire's settings.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
