// What a purchase request brings to the filters, read off HTTP once.

/// The parts of a purchase request the filters look at.
struct PurchaseRequest: Sendable {
    let sale: String
    /// The user id named in `?user=` or the body: used only by sales that do not ask for tokens.
    let namedUser: String?
    /// The bearer token from `Authorization`, if any.
    let token: String?
    /// The `Altcha` header: a solved proof-of-work challenge (base64 JSON).
    let captcha: String?
    let idempotencyKey: String?
    /// The client (an IPv4 address or an IPv6 /64, `ClientKey`): the key of the per-address rate limit.
    let clientAddress: String
}
