// Brute-force solver of proof-of-work challenges, as the ALTCHA widget runs it in the browser.

import Crypto

/// Finds the number for a challenge, for tests and the load tool, which must pay the same price as a buyer.
public enum ProofOfWorkSolver {
    /// The number in `0...maxNumber` whose SHA-256 with the salt is the challenge, or nil when there is none or
    /// the challenge is not SHA-256 lowercase hex. The search stops at the issuer's `maxNumberBounds` upper
    /// bound whatever `maxNumber` says, so a hostile challenge cannot keep it busy forever.
    public static func solve(_ challenge: ProofOfWorkChallenge) -> Int? {
        guard challenge.algorithm == ProofOfWorkIssuer.algorithm,
            challenge.maxNumber >= 0,
            let target = LowercaseHex.bytes(challenge.challenge),
            target.count == SHA256.byteCount
        else { return nil }
        // Hash the salt once; each attempt continues from a copy of that state with its digits.
        var salted = SHA256()
        salted.update(data: Array(challenge.salt.utf8))
        for number in 0...min(challenge.maxNumber, ProofOfWorkIssuer.maxNumberBounds.upperBound) {
            var attempt = salted
            attempt.update(data: Array(String(number).utf8))
            if attempt.finalize().elementsEqual(target) { return number }
        }
        return nil
    }
}
