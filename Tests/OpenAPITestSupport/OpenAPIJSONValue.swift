// A JSON value as it arrived on the wire, kept exact enough to check against a JSON Schema.

import Foundation
import OpenAPIKit

/// Any JSON document. Integers stay integers (`type: integer` must tell 3 from 3.5), and members stay as sent
/// (an undocumented member must be seen to be refused).
public enum JSONValue: Equatable, Sendable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses a whole JSON text (an object, array or scalar).
    public init(json data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// A value from the schema itself (`enum`, `const`), compared with what arrived.
    init(_ value: AnyCodable) throws {
        self = try JSONValue(json: try JSONEncoder().encode(value))
    }

    /// The JSON Schema type names this value has ("integer" values are also "number").
    var typeNames: Set<String> {
        switch self {
        case .null: ["null"]
        case .bool: ["boolean"]
        case .integer: ["integer", "number"]
        case .number(let value): value.rounded() == value && value.isFinite ? ["integer", "number"] : ["number"]
        case .string: ["string"]
        case .array: ["array"]
        case .object: ["object"]
        }
    }

    /// Numeric value, for bounds.
    var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// JSON Schema equality: 1 and 1.0 are the same number.
    func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.integer, .number), (.number, .integer): double == other.double
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.object(let a), .object(let b)):
            a.count == b.count && a.allSatisfy { key, value in b[key].map { value.sameValue(as: $0) } ?? false }
        default: self == other
        }
    }
}
