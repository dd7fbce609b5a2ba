// A region as declared to the config-center.

/// A region: a group of units that serve buyers at one regional endpoint.
public struct RegionSpec: Sendable, Codable, Equatable {
    public var id: String
    /// Where buyers of this region are sent (for example a load balancer over its units); optional.
    public var endpoint: String?

    public init(id: String, endpoint: String? = nil) {
        self.id = id
        self.endpoint = endpoint
    }
}
