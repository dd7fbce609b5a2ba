// The puzzle a buyer's client solves before it may buy, in the JSON shape the ALTCHA widget reads.

/// What the server hands out: find `number` in `0...maxNumber` with SHA-256(`salt` + decimal `number`) ==
/// `challenge`. The signature lets any unit check an answer later without having remembered the challenge,
/// and the expiry rides inside the salt so the signature covers it too.
public struct ProofOfWorkChallenge: Codable, Sendable, Hashable {
    /// The hash the client must invert by brute force; always "SHA-256" here.
    public let algorithm: String
    /// Lowercase hex SHA-256 of `salt` followed by the secret number in decimal.
    public let challenge: String
    /// The largest number the client has to try: the difficulty (expected work is half of it).
    public let maxNumber: Int
    /// Lowercase hex random bytes, then `?expires=<unix seconds>&` (the `&` ends the parameters; see the issuer).
    public let salt: String
    /// Lowercase hex HMAC-SHA256 of `challenge` under the server key, so clients cannot make their own puzzles.
    public let signature: String

    public init(algorithm: String, challenge: String, maxNumber: Int, salt: String, signature: String) {
        self.algorithm = algorithm
        self.challenge = challenge
        self.maxNumber = maxNumber
        self.salt = salt
        self.signature = signature
    }

    /// ALTCHA spells the difficulty `maxnumber` on the wire.
    enum CodingKeys: String, CodingKey {
        case algorithm, challenge, maxNumber = "maxnumber", salt, signature
    }
}
