// Operators of the config-center on the wire: their roles, a new operator, the credential made for it.

public import Foundation

/// What an operator's credential allows. Each role includes the ones before it: an `admin` may do all an
/// `operator` may, who may do all a `viewer` may.
public enum OperatorRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads status, reports, the dashboard and the lists.
    case viewer
    /// Runs sales: creates, allocates, restocks, pauses, resumes, stops; edits the blacklist; applies sale files.
    case `operator`
    /// Manages operators, regions and units (enrolment), buyer-token signing keys and token minting.
    case admin

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }
}

/// A new operator: a name (an identifier) and a role.
public struct OperatorSpec: Sendable, Codable, Equatable {
    public var name: String
    public var role: OperatorRole

    public init(name: String, role: OperatorRole) {
        self.name = name
        self.role = role
    }
}

/// An operator as listed: never its credential, which only its creation shows.
public struct OperatorView: Sendable, Codable, Equatable {
    public var name: String
    public var role: OperatorRole
    public var createdAt: Date

    public init(name: String, role: OperatorRole, createdAt: Date) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

/// The answer to creating an operator: the bearer credential, shown once (the config-center keeps only its hash).
public struct OperatorGrant: Sendable, Codable, Equatable {
    public var name: String
    public var role: OperatorRole
    public var credential: String

    public init(name: String, role: OperatorRole, credential: String) {
        self.name = name
        self.role = role
        self.credential = credential
    }
}
