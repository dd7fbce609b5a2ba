// Turns every error that escapes a handler into problem+json, in one place per server.

public import Hummingbird
import Logging
import NIOCore

/// Catches what handlers throw: a `Problem` is sent as it is; Hummingbird's own errors (bad JSON, unknown
/// route, a body over the upload limit) become the matching problem; anything else is logged and answered as internal-error, without detail.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's documented routes: a known path asked with another method is 405 with `Allow`, not 404.
    let routes: DocumentedRoutes

    public init(routes: DocumentedRoutes = DocumentedRoutes()) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.encodedResponse()
        } catch let error as any ProblemConvertible {
            return error.problem.encodedResponse()
        } catch let error as HTTPError {
            let allowed = error.status == .notFound ? routes.methods(for: request.uri.path) : []
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else {
                return Self.problem(for: error).encodedResponse()
            }
            var response = Problem(.methodNotAllowed, "\(request.method) is not allowed here; use \(allowed.joined(separator: ", "))")
                .encodedResponse()
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch is NIOTooManyBytesError {
            // Thrown by the body collector past the server's upload limit, before any handler read a field.
            return Problem(.payloadTooLarge).encodedResponse()
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(.internalError).encodedResponse()
        }
    }

    static func problem(for error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: Problem(.notFound, error.body)
        case .methodNotAllowed: Problem(.methodNotAllowed, error.body)
        case .contentTooLarge: Problem(.payloadTooLarge, error.body)
        case .badRequest, .unsupportedMediaType: Problem(.invalidInput, error.body)
        // hummingbird-auth's answer to a guarded route asked without a credential (or with an unknown one).
        case .unauthorized: Problem(.unauthorized, "this needs a credential: Authorization: Bearer <credential>")
        default:
            error.status.code < 500 ? Problem(.invalidInput, error.body) : Problem(.internalError)
        }
    }
}
