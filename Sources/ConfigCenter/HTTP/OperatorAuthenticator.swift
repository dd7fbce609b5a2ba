// Finds the operator behind a request's bearer credential, and guards routes by role.

import FlashSaleAPI
public import Hummingbird
public import HummingbirdAuth

/// Sets the request's operator when it carries `Authorization: Bearer <credential>` of one. A request without
/// a credential, or with one that matches nobody, goes on unauthenticated: public routes serve it, guarded
/// routes answer 401.
public struct OperatorAuthenticator: AuthenticatorMiddleware {
    public typealias Context = CenterRequestContext
    let store: CenterStore

    public init(store: CenterStore) { self.store = store }

    public func authenticate(request: Request, context: Context) async throws -> Operator? {
        guard let bearer = request.headers.bearer else { return nil }
        return try await store.authenticate(credential: bearer.token)
    }
}

/// The middleware that admits only operators holding `role` (or a higher one): 401 without a credential,
/// 403 with one of a lower role, both as problem+json.
func requireRole(_ role: OperatorRole) -> AuthorizationPolicyMiddleware<RolePolicy<Operator>, CenterRequestContext, RoleRefusal> {
    AuthorizationPolicyMiddleware(RolePolicy<Operator>(role), deniedError: RoleRefusal(needed: role))
}

/// A credential whose role is below the route's.
struct RoleRefusal: HTTPResponseError, ProblemConvertible {
    let needed: OperatorRole

    var status: HTTPResponse.Status { .forbidden }
    var problem: Problem { Problem(.forbidden, "this needs the role '\(needed.rawValue)' or higher") }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        problem.encodedResponse()
    }
}
