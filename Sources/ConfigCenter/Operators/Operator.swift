// Who made a request to the config-center, once its credential was checked.

public import FlashSaleAPI
public import HummingbirdAuth

/// An authenticated operator. Its `roles` are its own role and every role below it, so a route guarded by
/// `RolePolicy(.viewer)` admits an admin too.
public struct Operator: Sendable, Equatable, RoleProviding {
    public let name: String
    public let role: OperatorRole

    public init(name: String, role: OperatorRole) {
        self.name = name
        self.role = role
    }

    public var roles: Set<OperatorRole> { Set(OperatorRole.allCases.filter { $0 <= role }) }
}
