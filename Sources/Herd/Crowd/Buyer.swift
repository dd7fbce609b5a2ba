// One distinct buyer of the herd.

/// A buyer: a user id of its own, the region the split gave it, its token when the sale asks for one, where it
/// asks first, and the region's other entry URLs it turns to when a unit does not answer (as a load balancer in
/// front of the region's units would send it to one that is up).
struct Buyer: Sendable {
    var index: Int
    var user: String
    var region: String
    var token: String?
    var entryURL: String
    var fallbackURLs: [String] = []

    /// One key per buyer, kept across its retries and redirects: a retry after a lost answer gets the first
    /// order back instead of buying twice.
    var idempotencyKey: String { "herd-\(user)" }
}
