// The bearer credential of an operator: random, shown once, kept only as its hash.

import Crypto
import FlashSaleCore
import Foundation

/// Credentials are 32 random bytes, so a plain SHA-256 is enough to store them: nobody can guess a preimage,
/// and unlike a password hash it lets the config-center find the operator by the hash in one indexed read.
enum OperatorCredential {
    /// Marks the credential in logs, files and scanners that look for leaked secrets.
    static let prefix = "fsc_"
    /// Longest credential looked up; anything longer cannot be one and is not even hashed.
    static let maxLength = 128

    /// A new credential: the prefix and 32 random bytes in lowercase hex.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + LowercaseHex.string(bytes)
    }

    /// The value stored and looked up.
    static func hash(_ credential: String) -> String {
        LowercaseHex.string(SHA256.hash(data: Data(credential.utf8)))
    }
}
