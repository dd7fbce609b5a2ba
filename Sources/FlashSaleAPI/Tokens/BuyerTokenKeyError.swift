// Why a buyer-token key from a configuration was refused at load, before any token met it.

/// A bad key refuses the whole configuration that carries it, so a typo is found when the key is loaded,
/// not by buyers refused at the sale's start.
public enum BuyerTokenKeyError: ProblemConvertible, Hashable {
    case emptyKid
    /// Two different keys under one `kid`: which one a token meant would be a guess.
    case duplicateKid(String)
    /// Not a P-256 public key in PEM.
    case invalidPublicKey(kid: String)
    /// Not a P-256 private key in PEM.
    case invalidPrivateKey(kid: String)

    public var problem: Problem {
        switch self {
        case .emptyKid: Problem(.invalidInput, "a buyer-token key has an empty kid")
        case .duplicateKid(let kid): Problem(.invalidInput, "two different buyer-token keys share the kid '\(kid)'")
        case .invalidPublicKey(let kid): Problem(.invalidInput, "buyer-token key '\(kid)' is not a P-256 public key in PEM")
        case .invalidPrivateKey(let kid): Problem(.invalidInput, "buyer-token signing key '\(kid)' is not a P-256 private key in PEM")
        }
    }
}
