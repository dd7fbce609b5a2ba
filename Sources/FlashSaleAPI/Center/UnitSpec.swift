// A unit as declared to, or registered with, the config-center.

public import Foundation

/// A unit node: its id, its region and the URL it serves at.
public struct UnitSpec: Sendable, Codable, Equatable {
    public var id: String
    public var region: String
    public var url: String?
    /// Last time the unit reported in (set by the config-center).
    public var lastSeen: Date?
    /// The unit's Ed25519 public key (64 hex digits; `flashsale-unit key` prints it). Set by an operator when the
    /// unit is enrolled; the config-center accepts the unit's heartbeats and configuration requests only when they
    /// are signed with the matching private key. Absent: not enrolled yet.
    public var publicKey: String?

    public init(id: String, region: String, url: String? = nil, lastSeen: Date? = nil, publicKey: String? = nil) {
        self.id = id
        self.region = region
        self.url = url
        self.lastSeen = lastSeen
        self.publicKey = publicKey
    }
}
