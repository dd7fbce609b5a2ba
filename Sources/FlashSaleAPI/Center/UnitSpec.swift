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
    /// The key the unit was enrolled with before its last re-enrolment (set by the config-center, ignored in
    /// requests; cleared when an operator withdraws the unit's key, as a withdrawn key may be in an attacker's
    /// hands). A unit that lost its disk, key included, takes back the copies of its own ledger row that peers kept,
    /// signed with it: they are its own history, which no peer can forge.
    public var previousPublicKey: String?

    public init(
        id: String, region: String, url: String? = nil, lastSeen: Date? = nil, publicKey: String? = nil,
        previousPublicKey: String? = nil
    ) {
        self.id = id
        self.region = region
        self.url = url
        self.lastSeen = lastSeen
        self.publicKey = publicKey
        self.previousPublicKey = previousPublicKey
    }
}
