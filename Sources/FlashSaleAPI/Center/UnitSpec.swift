// A unit as declared to, or registered with, the config-center.

public import Foundation

/// A unit node: its id, its region and the URL it serves at.
public struct UnitSpec: Sendable, Codable, Equatable {
    public var id: String
    public var region: String
    public var url: String?
    /// Last time the unit reported in (set by the config-center).
    public var lastSeen: Date?

    public init(id: String, region: String, url: String? = nil, lastSeen: Date? = nil) {
        self.id = id
        self.region = region
        self.url = url
        self.lastSeen = lastSeen
    }
}
