// The JSON settings every process and client shares, so dates and keys look the same everywhere.

public import Foundation

/// Encoders and decoders for the wire: ISO 8601 dates, sorted keys (stable bodies, easy diffs).
public enum WireJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
