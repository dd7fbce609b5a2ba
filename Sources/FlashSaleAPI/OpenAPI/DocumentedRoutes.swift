// Which methods each path of an API answers, read from its OpenAPI document, so that a known path asked with
// another method is answered 405 with `Allow` (RFC 9110 §15.5.6) where Hummingbird's router only knows 404.

public import Foundation

/// The documented paths and their methods. The document is the route table's single source: the conformance
/// tests already hold every route to it, so a route added without documenting it answers 404 to other methods,
/// never a wrong 405.
public struct DocumentedRoutes: Sendable {
    /// Each path template split into segments (`{name}` matches any one non-empty segment), with its methods.
    private var templates: [(segments: [Substring], methods: [String])]

    /// An empty table: every unknown route stays 404.
    public init() { templates = [] }

    /// The paths of an OpenAPI document's `paths` object; a document that is not JSON of that shape gives an
    /// empty table rather than stopping the process.
    public init(openAPI document: Data) {
        struct Document: Decodable { var paths: [String: [String: IgnoredValue]] }
        struct IgnoredValue: Decodable { init(from decoder: any Decoder) throws {} }
        let verbs: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        let paths = (try? JSONDecoder().decode(Document.self, from: document).paths) ?? [:]
        templates = paths.keys.sorted().compactMap { path in
            let methods = (paths[path] ?? [:]).keys.filter { verbs.contains($0) }.map { $0.uppercased() }.sorted()
            return methods.isEmpty ? nil : (Self.segments(path), methods)
        }
    }

    /// The methods documented for `path` (already without its query), sorted; empty when no template matches. A
    /// literal segment beats a parameter, as in the router.
    public func methods(for path: String) -> [String] {
        let asked = Self.segments(path)
        var best: (literals: Int, methods: [String])?
        for template in templates where template.segments.count == asked.count {
            var literals = 0
            let matches = zip(template.segments, asked).allSatisfy { pattern, segment in
                if pattern.hasPrefix("{") && pattern.hasSuffix("}") { return !segment.isEmpty }
                literals += 1
                return pattern == segment
            }
            if matches, literals > (best?.literals ?? -1) { best = (literals, template.methods) }
        }
        return best?.methods ?? []
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

extension DocumentedRoutes {
    /// The unit node's routes, from the document it serves.
    public static let unit = DocumentedRoutes(openAPI: OpenAPIDocument.unit())
    /// The config-center's routes, from the document it serves.
    public static let center = DocumentedRoutes(openAPI: OpenAPIDocument.center())
}
