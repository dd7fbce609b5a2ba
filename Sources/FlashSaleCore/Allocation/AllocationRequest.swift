// What an operator asks for when allocating a sale's stock to regions.

/// Stock to move from the config-center to regions: exact counts per region, or percentages of what the
/// config-center holds now. Each region's share is then split evenly over that region's units.
public enum AllocationRequest: Sendable, Hashable, Codable {
    case counts([String: Int64])
    case percentages([String: Int])
}
