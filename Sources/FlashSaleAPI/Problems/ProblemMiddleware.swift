// Turns every error that escapes a handler into problem+json, in one place per server.

public import Hummingbird
import Logging

/// Catches what handlers throw: a `Problem` is sent as it is; Hummingbird's own errors (bad JSON, unknown
/// route) become the matching problem; anything else is logged and answered as internal-error, without detail.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.encodedResponse()
        } catch let error as any ProblemConvertible {
            return error.problem.encodedResponse()
        } catch let error as HTTPError {
            return Self.problem(for: error).encodedResponse()
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(.internalError).encodedResponse()
        }
    }

    static func problem(for error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: Problem(.notFound, error.body)
        case .methodNotAllowed: Problem(.methodNotAllowed, error.body)
        case .badRequest, .unsupportedMediaType, .contentTooLarge: Problem(.invalidInput, error.body)
        default:
            error.status.code < 500 ? Problem(.invalidInput, error.body) : Problem(.internalError)
        }
    }
}
