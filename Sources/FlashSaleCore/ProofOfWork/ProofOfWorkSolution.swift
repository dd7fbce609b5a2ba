// What the client sends back with its purchase: the challenge it was given and the number it found.

import Foundation

/// The ALTCHA widget's answer. It carries the whole signed challenge back, so the server keeps no state per
/// challenge until the answer is spent (see `SpentChallenges`).
public struct ProofOfWorkSolution: Codable, Sendable, Hashable {
    /// Largest payload accepted, in bytes of base64 text. A genuine one is about 400 bytes; the limit stops a
    /// crowd from making the server decode megabytes of JSON before the first real check.
    public static let payloadMaxBytes = 2_048

    public let algorithm: String
    public let challenge: String
    /// The number the client claims hashes with the salt to the challenge.
    public let number: Int
    public let salt: String
    public let signature: String

    public init(algorithm: String, challenge: String, number: Int, salt: String, signature: String) {
        self.algorithm = algorithm
        self.challenge = challenge
        self.number = number
        self.salt = salt
        self.signature = signature
    }

    /// The answer `number` to `challenge`, as a client (a test, the load tool) would send it.
    public init(challenge: ProofOfWorkChallenge, number: Int) {
        self.init(
            algorithm: challenge.algorithm, challenge: challenge.challenge, number: number,
            salt: challenge.salt, signature: challenge.signature)
    }

    /// Decodes the widget's payload form: base64 of the JSON object (extra fields such as `took` are ignored).
    /// Nil when it is longer than `payloadMaxBytes` (checked before any decoding), not base64, or not that JSON.
    public init?(payload: String) {
        guard payload.utf8.count <= Self.payloadMaxBytes,
            let json = Data(base64Encoded: payload),
            let decoded = try? JSONDecoder().decode(Self.self, from: json)
        else { return nil }
        self = decoded
    }

    /// The widget's payload form of this answer: base64 of its JSON.
    public func payload() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self).base64EncodedString()
    }
}
