// Issues and checks the purchase captcha: ALTCHA-style salted SHA-256 puzzles, HMAC-signed and expiring.

import Crypto

/// Holds the server key; issues challenges and checks answers with no state, no clock and no randomness of its
/// own (callers pass random bytes, the secret number and the time), so every unit holding the key can check an
/// answer to a challenge another unit issued. Making an answer single-use is `SpentChallenges`' job.
public struct ProofOfWorkIssuer: Sendable {
    /// The only algorithm issued and accepted, spelled as ALTCHA does.
    public static let algorithm = "SHA-256"
    /// Shortest key accepted, in bytes: HMAC-SHA256 is only as strong as its key.
    public static let keyMinBytes = 32
    /// Difficulty (maxnumber) bounds. Below 1,000 the puzzle costs a bot nothing; above 10,000,000 a phone's
    /// browser needs tens of seconds, which in a flash sale means the buyer loses anyway.
    public static let maxNumberBounds: ClosedRange<Int> = 1_000...10_000_000
    /// Random salt length bounds, in bytes: at least 96 bits so salts do not repeat.
    public static let saltBytesBounds: ClosedRange<Int> = 12...64
    /// Longest salt accepted when checking, in bytes of text (hex of `saltBytesBounds.upperBound`, plus room for
    /// parameters): a limit on what an attacker can make us hash.
    public static let saltMaxBytes = 256
    /// Longest `expires` value read, in digits (seconds up to year 33,000: cannot overflow when made ms).
    static let expiresMaxDigits = 12

    private let key: SymmetricKey

    /// Nil when `key` is shorter than `keyMinBytes`.
    public init?(key: [UInt8]) {
        guard key.count >= Self.keyMinBytes else { return nil }
        self.key = SymmetricKey(data: key)
    }

    /// `maxNumber` moved into `maxNumberBounds`; a sale's configured difficulty goes through this, so a bad
    /// setting can neither switch the captcha off nor make it unsolvable.
    public static func clampedMaxNumber(_ maxNumber: Int) -> Int {
        min(max(maxNumber, maxNumberBounds.lowerBound), maxNumberBounds.upperBound)
    }

    /// A challenge whose answer is `secretNumber`, valid until `expiresAtMs` rounded down to a whole second (the
    /// salt carries Unix seconds, as ALTCHA does). `maxNumber` is clamped with `clampedMaxNumber`; the caller
    /// draws `saltBytes` and `secretNumber` (uniform in `0...clampedMaxNumber(maxNumber)`) from a secure source.
    public func challenge(saltBytes: [UInt8], secretNumber: Int, maxNumber: Int, expiresAtMs: Int64)
        -> ProofOfWorkChallenge
    {
        let maxNumber = Self.clampedMaxNumber(maxNumber)
        precondition(Self.saltBytesBounds.contains(saltBytes.count), "salt length out of bounds")
        precondition((0...maxNumber).contains(secretNumber), "secret number outside 0...maxNumber")
        precondition(expiresAtMs >= 0, "expiry before 1970")
        // The `&` ends the parameters. Without it a client could move leading digits of its number onto the end
        // of the salt (same hash input, so the same challenge and signature) and so multiply `expires` by ten
        // per digit: the challenge-splicing flaw of ALTCHA's advisory of December 2025.
        let salt = LowercaseHex.string(saltBytes) + "?expires=\(expiresAtMs / 1_000)&"
        let challenge = LowercaseHex.string(SHA256.hash(data: Array((salt + String(secretNumber)).utf8)))
        let signature = LowercaseHex.string(
            HMAC<SHA256>.authenticationCode(for: Array(challenge.utf8), using: key))
        return ProofOfWorkChallenge(
            algorithm: Self.algorithm, challenge: challenge, maxNumber: maxNumber, salt: salt,
            signature: signature)
    }

    /// Checks an answer at `nowMs`, cheapest checks first: shape and expiry syntax, then the signature (HMAC
    /// recomputed over the challenge, compared in constant time), then the number (within `maxNumberBounds`,
    /// since the answer does not carry the signed difficulty) and the hash, and last the expiry, so `.expired`
    /// is only said of a genuine answer. Pass the same `nowMs` to `SpentChallenges.spend` afterwards.
    public func verify(_ solution: ProofOfWorkSolution, nowMs: Int64) -> ProofOfWorkVerdict {
        guard solution.algorithm == Self.algorithm,
            solution.challenge.utf8.count == SHA256.byteCount * 2,
            let challengeDigest = LowercaseHex.bytes(solution.challenge),
            solution.signature.utf8.count == SHA256.byteCount * 2,
            let signature = LowercaseHex.bytes(solution.signature),
            let expiresAtMs = Self.expiresAtMs(salt: solution.salt)
        else { return .malformed }
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: Array(solution.challenge.utf8), using: key)
        else { return .badSignature }
        guard (0...Self.maxNumberBounds.upperBound).contains(solution.number) else { return .wrongAnswer }
        let digest = SHA256.hash(data: Array((solution.salt + String(solution.number)).utf8))
        // Plain comparison: the challenge is public, there is nothing to leak.
        guard digest.elementsEqual(challengeDigest) else { return .wrongAnswer }
        guard nowMs < expiresAtMs else { return .expired }
        return .valid(expiresAtMs: expiresAtMs)
    }

    /// The expiry in ms of a salt shaped as issued: `<lowercase hex>?<key=value&...>&` with exactly one
    /// `expires=<1-12 digits>`. Nil otherwise: no expiry means no limit on replaying a solved puzzle, so an answer
    /// without one is refused, and so is anything after the final `&` (the splicing above).
    static func expiresAtMs(salt: String) -> Int64? {
        guard salt.utf8.count <= saltMaxBytes,
            let question = salt.firstIndex(of: "?"),
            salt.last == "&"
        else { return nil }
        let random = salt[..<question]
        guard !random.isEmpty, LowercaseHex.isLowercaseHex(random) else { return nil }
        let parameters = salt[salt.index(after: question)..<salt.index(before: salt.endIndex)]
        var expiresSeconds: Int64?
        for parameter in parameters.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else { return nil }
            guard parameter[..<equals] == "expires" else { continue }
            let value = parameter[parameter.index(after: equals)...]
            guard expiresSeconds == nil,
                (1...expiresMaxDigits).contains(value.utf8.count),
                value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let seconds = Int64(value)
            else { return nil }
            expiresSeconds = seconds
        }
        return expiresSeconds.map { $0 * 1_000 }
    }
}
