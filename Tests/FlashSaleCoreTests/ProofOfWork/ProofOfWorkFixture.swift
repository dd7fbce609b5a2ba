// Shared keys, times and a known vector for the proof-of-work tests.

import FlashSaleCore

enum ProofOfWorkFixture {
    static let key: [UInt8] = Array(0..<32)
    static let otherKey: [UInt8] = Array(100..<132)
    static let saltBytes: [UInt8] = Array(0xa0..<0xac)
    static let nowMs: Int64 = 1_760_000_000_000
    /// Ten minutes and half a second later: the salt keeps whole seconds, so answers expire at ...600_000.
    static let expiresAtMs: Int64 = 1_760_000_600_500
    static let expiresAtWholeSecondMs: Int64 = 1_760_000_600_000
    /// Small so debug-build brute force stays quick.
    static let maxNumber = 5_000
    static let secretNumber = 4_321

    static var issuer: ProofOfWorkIssuer {
        guard let issuer = ProofOfWorkIssuer(key: key) else { preconditionFailure("fixture key is 32 bytes") }
        return issuer
    }

    static var challenge: ProofOfWorkChallenge {
        issuer.challenge(
            saltBytes: saltBytes, secretNumber: secretNumber, maxNumber: maxNumber, expiresAtMs: expiresAtMs)
    }

    static var solution: ProofOfWorkSolution { ProofOfWorkSolution(challenge: challenge, number: secretNumber) }

    /// Computed independently (Python hashlib/hmac) from `key`, `saltBytes`, the expiry and `secretNumber`,
    /// the way altcha-lib does: SHA-256 hex of salt + number, HMAC-SHA256 hex of that hex string.
    enum Vector {
        static let salt = "a0a1a2a3a4a5a6a7a8a9aaab?expires=1760000600&"
        static let challenge = "3888dc999416e8a81b74e1e2a786f331207572ea594526cf607513900cd05f18"
        static let signature = "0d16c4112d7fd826bffa66965d80ba8dee27546e8674cf2ba3f6e2b649d47158"
        /// base64 of the widget JSON for this answer, with its extra `took` field.
        static let payload =
            "eyJhbGdvcml0aG0iOiJTSEEtMjU2IiwiY2hhbGxlbmdlIjoiMzg4OGRjOTk5NDE2ZThhODFiNzRlMWUyYTc4NmYzMzEyMDc1NzJlYTU5"
            + "NDUyNmNmNjA3NTEzOTAwY2QwNWYxOCIsIm51bWJlciI6NDMyMSwic2FsdCI6ImEwYTFhMmEzYTRhNWE2YTdhOGE5YWFhYj9leHBpcmVz"
            + "PTE3NjAwMDA2MDAmIiwic2lnbmF0dXJlIjoiMGQxNmM0MTEyZDdmZDgyNmJmZmE2Njk2NWQ4MGJhOGRlZTI3NTQ2ZTg2NzRjZjJiYTNm"
            + "NmUyYjY0OWQ0NzE1OCIsInRvb2siOjQxMn0="
    }

    /// `solution` with some fields replaced, as a tampering client would send it.
    static func tampered(
        _ solution: ProofOfWorkSolution, algorithm: String? = nil, challenge: String? = nil, number: Int? = nil,
        salt: String? = nil, signature: String? = nil
    ) -> ProofOfWorkSolution {
        ProofOfWorkSolution(
            algorithm: algorithm ?? solution.algorithm, challenge: challenge ?? solution.challenge,
            number: number ?? solution.number, salt: salt ?? solution.salt,
            signature: signature ?? solution.signature)
    }
}
