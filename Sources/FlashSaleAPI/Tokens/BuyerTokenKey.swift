// A public key that buyer tokens may be signed with, as the config-center's configuration carries it.

/// One live verification key. Units hold only these, so a unit that is broken into cannot mint tokens;
/// several are live at once during a rotation, told apart by the token header's `kid`.
public struct BuyerTokenKey: Codable, Sendable, Hashable {
    /// The key id that tokens signed with this key carry in their header.
    public var kid: String
    /// A P-256 public key, PEM ("BEGIN PUBLIC KEY"); checked when a `BuyerTokenVerifier` is built from it.
    public var publicKeyPEM: String

    public init(kid: String, publicKeyPEM: String) {
        self.kid = kid
        self.publicKeyPEM = publicKeyPEM
    }
}
