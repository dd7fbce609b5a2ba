// The outcome of checking a proof-of-work answer.

/// Why an answer was accepted or refused; distinct refusals so the edge can count them (a rise in
/// `badSignature` means forgery attempts, a rise in `expired` may mean the time to live is too short).
public enum ProofOfWorkVerdict: Sendable, Hashable {
    /// A genuine answer to a challenge this key issued, usable until `expiresAtMs`; spend it once.
    case valid(expiresAtMs: Int64)
    /// Not something this server issues: wrong algorithm, not lowercase hex, salt without a readable expiry.
    case malformed
    /// The challenge was not signed by this server's key.
    case badSignature
    /// A genuine answer, but its challenge expired.
    case expired
    /// The number (with the salt as sent) does not hash to the challenge.
    case wrongAnswer

    /// True for `.valid`.
    public var isValid: Bool {
        if case .valid = self { true } else { false }
    }
}
