// Checks real HTTP answers against the OpenAPI document a server serves, and remembers which answers were seen.

import Foundation
import OpenAPIKit
import Synchronization

/// One OpenAPI 3.1 document, parsed with OpenAPIKit, and the answers checked against it so far.
///
/// For each answer: the path resolves to a documented path template (literal segments win over parameters, as in
/// the router) and the method to an operation there; the status is documented for that operation; the
/// Content-Type is one the response documents; the body validates against that content's schema; every required
/// header is present and every documented header that is present validates. A path or method the document does
/// not have must be answered `404` with a problem whose code is `not-found`.
public final class OpenAPIConformance: Sendable {
    public let document: OpenAPI.Document
    public let validator: OpenAPISchemaValidator
    private let seen = Mutex<Set<String>>([])

    public init(json: Data) throws {
        document = try JSONDecoder().decode(OpenAPI.Document.self, from: json)
        validator = OpenAPISchemaValidator(components: document.components)
    }

    // MARK: Checking answers

    /// Every way the answer breaks the document; empty when it conforms. `uri` is the path and query asked for.
    public func violations(
        method: String, uri: String, status: Int, headers: [(name: String, value: String)], body: Data
    ) -> [String] {
        let path = String(uri.prefix { $0 != "?" && $0 != "#" })
        let verb = OpenAPI.HttpMethod(rawValue: method.uppercased()) ?? .other(method.uppercased())
        let context = "\(verb.rawValue) \(path) -> \(status)"
        guard let template = template(for: path), let operation = pathItem(template)?.for(verb) else {
            record("\(verb.rawValue) <undocumented> \(status)")
            return undocumentedRouteViolations(path: path, status: status, headers: headers, body: body).map { "\(context): \($0)" }
        }
        let key = "\(verb.rawValue) \(template.rawValue)"
        record("\(key) \(status)")
        guard let response = documentedResponse(operation, status: status) else {
            let documented = operation.responses.keys.map(\.rawValue).joined(separator: ", ")
            return ["\(context): status \(status) is not documented for \(key) (documented: \(documented))"]
        }
        return check(response, headers: headers, body: body).map { "\(context): \($0)" }
    }

    /// Errors of a JSON body against a schema of `#/components/schemas`.
    public func errors(_ body: Data, component name: String) -> [String] {
        guard let schema = document.components.schemas[OpenAPI.ComponentKey(stringLiteral: name)] else {
            return ["no schema '\(name)' in the document's components"]
        }
        do {
            return validator.errors(try JSONValue(json: body), against: schema)
        } catch {
            return ["the body is not JSON: \(error)"]
        }
    }

    // MARK: What was seen

    /// `METHOD template status` for every answer checked so far (`<undocumented>` for unknown routes).
    public var seenAnswers: Set<String> { seen.withLock { $0 } }

    /// Documented `METHOD template status` triples of the operations named (`METHOD template`, all when nil) that
    /// no checked answer produced.
    public func unseen(operations: [String]? = nil) -> [String] {
        let seen = seenAnswers
        return documentedAnswers(operations: operations).filter { !seen.contains($0) }.sorted()
    }

    /// Every `METHOD template status` the document promises, for the operations named (all when nil).
    public func documentedAnswers(operations: [String]? = nil) -> [String] {
        var answers: [String] = []
        for (path, item) in document.paths {
            guard let item = document.components[item] else { continue }
            for endpoint in item.endpoints {
                let key = "\(endpoint.method.rawValue) \(path.rawValue)"
                guard operations.map({ $0.contains(key) }) ?? true else { continue }
                answers += endpoint.operation.responses.keys.map { "\(key) \($0.rawValue)" }
            }
        }
        return answers
    }

    /// `METHOD template` of every documented operation.
    public var documentedOperations: [String] {
        document.paths.flatMap { path, item in
            (document.components[item]?.endpoints ?? []).map { "\($0.method.rawValue) \(path.rawValue)" }
        }
    }

    /// `METHOD template` of every operation that takes a request body.
    public var operationsWithBody: [String] {
        document.paths.flatMap { path, item in
            (document.components[item]?.endpoints ?? []).filter { $0.operation.requestBody != nil }
                .map { "\($0.method.rawValue) \(path.rawValue)" }
        }.sorted()
    }

    // MARK: Problem codes

    /// The values of the `ProblemCode` schema component (empty when there is none).
    public var problemCodeEnum: [String] {
        (document.components.schemas["ProblemCode"]?.allowedValues ?? []).compactMap { $0.value as? String }
    }

    /// Every application/problem+json response and the `code` values its schema allows (from the `allOf`
    /// part that narrows the Problem), as `(METHOD template, status, codes)`.
    public var problemResponses: [(operation: String, status: String, codes: [String])] {
        var found: [(operation: String, status: String, codes: [String])] = []
        for (path, item) in document.paths {
            for endpoint in document.components[item]?.endpoints ?? [] {
                for (status, entry) in endpoint.operation.responses {
                    guard let response = document.components[entry],
                        let content = response.content.first(where: { $0.key.typeAndSubtype == "application/problem+json" })
                    else { continue }
                    let schema = document.components[content.value]?.schema
                    var codes: [String] = []
                    if case .all(let parts, _)? = schema?.value {
                        for case .object(_, let object) in parts.map(\.value) {
                            codes += (object.properties["code"]?.allowedValues ?? []).compactMap { $0.value as? String }
                        }
                    }
                    found.append(("\(endpoint.method.rawValue) \(path.rawValue)", status.rawValue, codes))
                }
            }
        }
        return found
    }

    private func record(_ answer: String) { _ = seen.withLock { $0.insert(answer) } }

    // MARK: Routing

    /// The documented path template `path` resolves to: segment by segment, a literal segment beats a parameter.
    public func template(for path: String) -> OpenAPI.Path? {
        let segments = OpenAPI.Path(rawValue: path).components
        let candidates = document.paths.keys.filter { template in
            template.components.count == segments.count
                && zip(template.components, segments).allSatisfy { pattern, segment in
                    Self.isParameter(pattern) ? !segment.isEmpty : pattern == segment
                }
        }
        return candidates.max { a, b in
            // Fewer literal segments early on loses.
            let literalsA = a.components.map { !Self.isParameter($0) }
            let literalsB = b.components.map { !Self.isParameter($0) }
            return literalsA.lexicographicallyPrecedes(literalsB) { !$0 && $1 }
        }
    }

    private static func isParameter(_ segment: String) -> Bool { segment.hasPrefix("{") && segment.hasSuffix("}") }

    private func pathItem(_ template: OpenAPI.Path) -> OpenAPI.PathItem? {
        document.paths[template].flatMap { document.components[$0] }
    }

    private func documentedResponse(_ operation: OpenAPI.Operation, status: Int) -> OpenAPI.Response? {
        let range: OpenAPI.Response.StatusCode.Range? =
            switch status {
            case 100..<200: .information
            case 200..<300: .success
            case 300..<400: .redirect
            case 400..<500: .clientError
            case 500..<600: .serverError
            default: nil
            }
        let entry = operation.responses[status: .status(code: status)]
            ?? range.flatMap { operation.responses[status: .range($0)] } ?? operation.responses[status: .default]
        return entry.flatMap { document.components[$0] }
    }

    // MARK: One answer

    private func check(_ response: OpenAPI.Response, headers: [(name: String, value: String)], body: Data) -> [String] {
        var found = headerViolations(response, headers: headers)
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value
        let mediaType = contentType.map { String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased() }
        if response.content.isEmpty {
            if !body.isEmpty { found.append("a body was sent where the document promises none") }
            return found
        }
        guard let mediaType else { return found + ["no Content-Type, documented: \(documentedTypes(response))"] }
        guard let entry = response.content.first(where: { $0.key.typeAndSubtype.lowercased() == mediaType }),
            let content = document.components[entry.value]
        else {
            return found + ["Content-Type \(mediaType) is not documented (documented: \(documentedTypes(response)))"]
        }
        guard let schema = content.schema else { return found }
        let value: JSONValue
        if mediaType == "application/json" || mediaType.hasSuffix("+json") {
            do {
                value = try JSONValue(json: body)
            } catch {
                return found + ["the body is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))"]
            }
        } else {
            value = .string(String(decoding: body, as: UTF8.self))
        }
        return found + validator.errors(value, against: schema)
    }

    private func documentedTypes(_ response: OpenAPI.Response) -> String {
        response.content.keys.map(\.typeAndSubtype).joined(separator: ", ")
    }

    private func headerViolations(_ response: OpenAPI.Response, headers: [(name: String, value: String)]) -> [String] {
        var found: [String] = []
        for (name, entry) in response.headers ?? [:] {
            guard let header = document.components[entry] else {
                found.append("header \(name): unresolvable reference")
                continue
            }
            guard let value = headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value else {
                if header.required { found.append("required header \(name) is missing") }
                continue
            }
            guard let schema = header.schemaOrContent.schemaValue.flatMap({ document.components[$0] }) else { continue }
            // A header is text; an integer schema means decimal digits.
            let json: JSONValue
            if case .integer = schema.value {
                guard let number = Int64(value) else {
                    found.append("header \(name): '\(value)' is not an integer")
                    continue
                }
                json = .integer(number)
            } else {
                json = .string(value)
            }
            found += validator.errors(json, against: schema, at: "header \(name)")
        }
        return found
    }

    /// A route the document does not have: a known path asked with another method is `405 method-not-allowed` with
    /// an `Allow` header naming exactly the documented methods; any other path is the router's `404 not-found`.
    private func undocumentedRouteViolations(
        path: String, status: Int, headers: [(name: String, value: String)], body: Data
    ) -> [String] {
        var found: [String] = []
        let methods = template(for: path).flatMap { pathItem($0) }?.endpoints.map(\.method.rawValue).sorted() ?? []
        let (expected, code) = methods.isEmpty ? (404, "not-found") : (405, "method-not-allowed")
        if status != expected { found.append("an undocumented route must answer \(expected), not \(status)") }
        let allow = headers.first { $0.name.lowercased() == "allow" }?.value
        if !methods.isEmpty, allow != methods.joined(separator: ", ") {
            found.append("Allow \(allow ?? "missing"), not \(methods.joined(separator: ", "))")
        }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value
        if contentType != "application/problem+json" { found.append("Content-Type \(contentType ?? "none"), not application/problem+json") }
        found += errors(body, component: "Problem")
        if case .object(let members)? = try? JSONValue(json: body), members["code"] != .string(code) {
            found.append("code is not \(code)")
        }
        return found
    }
}
