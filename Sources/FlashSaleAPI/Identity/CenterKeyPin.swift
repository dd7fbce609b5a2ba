// The config-center's public key as one unit trusts it: given by the operator, or pinned at first contact.

public import Foundation
import FlashSaleCore
import Synchronization

/// Which key a unit accepts configurations from. An operator may give it (`--center-public-key`); otherwise the
/// unit trusts the key of the first signed configuration it receives (trust on first use, as ssh does with a
/// host key), writes it to its data folder and from then on refuses any configuration that key did not sign,
/// across restarts. A changed key is not followed: the operator removes the file (or gives the new key) on purpose.
public final class CenterKeyPin: Sendable {
    /// Why a configuration was not accepted.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    private let pinned: Mutex<String?>
    private let file: String

    /// The pin kept in `file`, or the operator's `given` key (which wins, and is written there).
    public init(given: String?, file: String) throws {
        self.file = file
        if let given {
            guard NodeKey.publicKey(given) != nil else {
                throw Refusal(description: "--center-public-key must be the config-center's public key, 64 hex digits")
            }
            pinned = Mutex(given)
            try Self.save(given, to: file)
        } else if let data = FileManager.default.contents(atPath: file) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard NodeKey.publicKey(text) != nil else {
                throw Refusal(description: "\(file) does not hold a public key (64 hex digits); remove it to pin again")
            }
            pinned = Mutex(text)
        } else {
            pinned = Mutex(nil)
        }
    }

    /// The key configurations must be signed with, once pinned.
    public var key: String? { pinned.withLock { $0 } }

    /// Accepts `body` when `signature` is the pinned key's over it and the `nonce` this unit sent; with no key pinned
    /// yet, pins `offeredKey` if the signature is that key's.
    public func check(body: Data, nonce: String, signature: String?, offeredKey: String?) throws(Refusal) {
        guard let signature else { throw Refusal(description: "the configuration is not signed") }
        let current = pinned.withLock { $0 }
        let trusted = current ?? offeredKey
        guard let trusted, let publicKey = NodeKey.publicKey(trusted) else {
            throw Refusal(description: "the configuration names no config-center key to pin")
        }
        guard ConfigSignature.isValid(signature: signature, body: body, nonce: nonce, publicKey: publicKey) else {
            throw Refusal(
                description: current == nil
                    ? "the configuration's signature is not its key's over this request"
                    : "the configuration is not signed by the pinned config-center key \(trusted.prefix(16))… (in \(file))")
        }
        if current == nil {
            do { try Self.save(trusted, to: file) } catch { throw Refusal(description: "cannot keep the pinned key: \(error)") }
            pinned.withLock { $0 = trusted }
        }
    }

    private static func save(_ key: String, to file: String) throws {
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}
