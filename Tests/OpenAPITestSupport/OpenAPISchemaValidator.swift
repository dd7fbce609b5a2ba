// A small JSON Schema validator over OpenAPIKit's schemas: the subset the two documents use, strictly.

import Foundation
import OpenAPIKit

/// Checks a JSON value against a schema of an OpenAPI 3.1 document: `type` (with `null` in a type array, which
/// OpenAPIKit reads as nullable), `enum`/`const`, `properties`, `required`, `additionalProperties`, `items`,
/// `minItems`/`maxItems`, `$ref` to `#/components/schemas`, `allOf`/`anyOf`/`oneOf`/`not`, `minimum`/`maximum`
/// (exclusive too), `minLength`/`maxLength`, `pattern` and `format: date-time`. Anything else the documents may
/// grow is reported as unsupported rather than silently passed.
public struct OpenAPISchemaValidator: Sendable {
    public let components: OpenAPI.Components

    public init(components: OpenAPI.Components) { self.components = components }

    /// Every way `value` breaks `schema`, each with the JSON path where it happens; empty when it conforms.
    public func errors(_ value: JSONValue, against schema: JSONSchema, at path: String = "$") -> [String] {
        errors(value, schema, path, depth: 0)
    }

    private func errors(_ value: JSONValue, _ schema: JSONSchema, _ path: String, depth: Int) -> [String] {
        guard depth < 64 else { return ["\(path): schema nesting too deep (a $ref cycle?)"] }
        if value == .null, schema.nullable, !schema.isReference { return [] }
        var found = enumErrors(value, schema.allowedValues, path)
        switch schema.value {
        case .null:
            if value != .null { found.append("\(path): expected null, got \(describe(value))") }
        case .boolean:
            found += typeErrors(value, "boolean", path)
        case .integer(_, let context):
            found += typeErrors(value, "integer", path)
            if found.isEmpty, let number = value.double {
                found += bounds(number, minimum: context.minimum.map { (Double($0.value), $0.exclusive) },
                                maximum: context.maximum.map { (Double($0.value), $0.exclusive) }, path)
                if context.multipleOf != nil { found.append("\(path): multipleOf is not supported") }
            }
        case .number(_, let context):
            found += typeErrors(value, "number", path)
            if found.isEmpty, let number = value.double {
                found += bounds(number, minimum: context.minimum.map { ($0.value, $0.exclusive) },
                                maximum: context.maximum.map { ($0.value, $0.exclusive) }, path)
                if context.multipleOf != nil { found.append("\(path): multipleOf on numbers is not supported") }
            }
        case .string(let core, let context):
            found += typeErrors(value, "string", path)
            if case .string(let text) = value { found += stringErrors(text, format: core.formatString, context, path) }
        case .object(_, let context):
            found += typeErrors(value, "object", path)
            if case .object(let members) = value { found += objectErrors(members, context, path, depth: depth) }
        case .array(_, let context):
            found += typeErrors(value, "array", path)
            if case .array(let items) = value { found += arrayErrors(items, context, path, depth: depth) }
        case .all(of: let schemas, core: _):
            for sub in schemas { found += errors(value, sub, path, depth: depth + 1) }
        case .any(of: let schemas, core: _):
            let failures = schemas.map { errors(value, $0, path, depth: depth + 1) }
            if !failures.contains(where: \.isEmpty) {
                found.append("\(path): matches none of anyOf: \(failures.flatMap { $0 }.joined(separator: "; "))")
            }
        case .one(of: let schemas, core: _):
            let matches = schemas.filter { errors(value, $0, path, depth: depth + 1).isEmpty }.count
            if matches != 1 { found.append("\(path): matches \(matches) of oneOf, not exactly one") }
        case .not(let sub, core: _):
            if errors(value, sub, path, depth: depth + 1).isEmpty { found.append("\(path): matches a `not` schema") }
        case .reference(let reference, _):
            guard let target = components[reference] else {
                return found + ["\(path): unresolvable $ref \(reference.absoluteString)"]
            }
            found += errors(value, target, path, depth: depth + 1)
        case .fragment:
            break
        }
        return found
    }

    private func enumErrors(_ value: JSONValue, _ allowed: [AnyCodable]?, _ path: String) -> [String] {
        guard let allowed else { return [] }
        let values = allowed.compactMap { try? JSONValue($0) }
        guard values.count == allowed.count else { return ["\(path): the schema's enum could not be read"] }
        return values.contains { $0.sameValue(as: value) }
            ? [] : ["\(path): \(describe(value)) is not one of \(values.map(describe).joined(separator: ", "))"]
    }

    private func typeErrors(_ value: JSONValue, _ type: String, _ path: String) -> [String] {
        value.typeNames.contains(type) ? [] : ["\(path): expected \(type), got \(describe(value))"]
    }

    private func bounds(
        _ number: Double, minimum: (Double, Bool)?, maximum: (Double, Bool)?, _ path: String
    ) -> [String] {
        var found: [String] = []
        if let (bound, exclusive) = minimum, exclusive ? number <= bound : number < bound {
            found.append("\(path): \(number) is below the minimum \(bound)\(exclusive ? " (exclusive)" : "")")
        }
        if let (bound, exclusive) = maximum, exclusive ? number >= bound : number > bound {
            found.append("\(path): \(number) is above the maximum \(bound)\(exclusive ? " (exclusive)" : "")")
        }
        return found
    }

    private func stringErrors(
        _ text: String, format: String?, _ context: JSONSchema.StringContext, _ path: String
    ) -> [String] {
        var found: [String] = []
        let length = text.unicodeScalars.count
        if length < context.minLength { found.append("\(path): shorter than \(context.minLength)") }
        if let maxLength = context.maxLength, length > maxLength { found.append("\(path): longer than \(maxLength)") }
        if let pattern = context.pattern {
            // JSON Schema patterns are ECMA-262 and unanchored; the documents anchor theirs.
            if let regex = try? NSRegularExpression(pattern: pattern) {
                let range = NSRange(text.startIndex..., in: text)
                if regex.firstMatch(in: text, range: range) == nil {
                    found.append("\(path): \(describe(.string(text))) does not match /\(pattern)/")
                }
            } else {
                found.append("\(path): the schema's pattern /\(pattern)/ does not compile")
            }
        }
        switch format {
        case nil, "": break
        case "date-time":
            if !Self.isDateTime(text) { found.append("\(path): \(describe(.string(text))) is not an RFC 3339 date-time") }
        case "int64", "int32", "double", "float": break
        default: found.append("\(path): format '\(format ?? "")' is not supported by this validator")
        }
        return found
    }

    private func objectErrors(
        _ members: [String: JSONValue], _ context: JSONSchema.ObjectContext, _ path: String, depth: Int
    ) -> [String] {
        var found: [String] = []
        for name in context.requiredProperties where members[name] == nil {
            found.append("\(path): required member '\(name)' is missing")
        }
        if !context.patternProperties.isEmpty { found.append("\(path): patternProperties are not supported") }
        if members.count < context.minProperties { found.append("\(path): fewer than \(context.minProperties) members") }
        if let max = context.maxProperties, members.count > max { found.append("\(path): more than \(max) members") }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = "\(path).\(name)"
            if let schema = context.properties[name] {
                found += errors(value, schema, memberPath, depth: depth + 1)
                continue
            }
            switch context.additionalProperties {
            case nil, .a(true): break
            case .a(false): found.append("\(memberPath): member not in the schema (additionalProperties: false)")
            case .b(let schema): found += errors(value, schema, memberPath, depth: depth + 1)
            }
        }
        return found
    }

    private func arrayErrors(
        _ items: [JSONValue], _ context: JSONSchema.ArrayContext, _ path: String, depth: Int
    ) -> [String] {
        var found: [String] = []
        if items.count < context.minItems { found.append("\(path): fewer than \(context.minItems) items") }
        if let max = context.maxItems, items.count > max { found.append("\(path): more than \(max) items") }
        if context.prefixItems != nil { found.append("\(path): prefixItems are not supported") }
        if context.uniqueItems {
            for (index, item) in items.enumerated() where items[..<index].contains(where: { $0.sameValue(as: item) }) {
                found.append("\(path)[\(index)]: repeats an earlier item (uniqueItems)")
            }
        }
        if let schema = context.items {
            for (index, item) in items.enumerated() { found += errors(item, schema, "\(path)[\(index)]", depth: depth + 1) }
        }
        return found
    }

    /// RFC 3339 `date-time`: full date, `T`, full time with an optional fraction, `Z` or an offset; and a real
    /// calendar instant.
    static func isDateTime(_ text: String) -> Bool {
        let shape = #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#
        guard text.range(of: shape, options: .regularExpression) != nil else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text.uppercased()) != nil
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value.prefix(80))\""
        case .array(let items): "an array of \(items.count)"
        case .object(let members): "an object {\(members.keys.sorted().joined(separator: ", "))}"
        }
    }
}
