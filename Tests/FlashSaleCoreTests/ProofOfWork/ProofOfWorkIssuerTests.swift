// The issuer: ALTCHA-compatible challenges, a solve-and-verify round trip, and every refusal.

@testable import FlashSaleCore
import Testing
import TestSupport

@Suite("ProofOfWork issuer")
struct ProofOfWorkIssuerTests {
    typealias Fixture = ProofOfWorkFixture

    @Test("a key shorter than 32 bytes is refused")
    func keyLength() {
        #expect(ProofOfWorkIssuer(key: Array(repeating: 7, count: 31)) == nil)
        #expect(ProofOfWorkIssuer(key: []) == nil)
        #expect(ProofOfWorkIssuer(key: Array(repeating: 7, count: 32)) != nil)
    }

    @Test("a challenge matches what altcha-lib computes for the same key, salt, expiry and number")
    func knownVector() {
        let challenge = Fixture.challenge
        #expect(challenge.algorithm == "SHA-256")
        #expect(challenge.maxNumber == Fixture.maxNumber)
        #expect(challenge.salt == Fixture.Vector.salt)
        #expect(challenge.challenge == Fixture.Vector.challenge)
        #expect(challenge.signature == Fixture.Vector.signature)
    }

    @Test("solve then verify: the solver finds the secret and the issuer accepts it until the whole second")
    func roundTrip() {
        let challenge = Fixture.challenge
        let number = ProofOfWorkSolver.solve(challenge)
        #expect(number == Fixture.secretNumber)
        let solution = ProofOfWorkSolution(challenge: challenge, number: number ?? -1)
        let verdict = Fixture.issuer.verify(solution, nowMs: Fixture.nowMs)
        #expect(verdict == .valid(expiresAtMs: Fixture.expiresAtWholeSecondMs))
    }

    @Test("round trips with other salts, secrets at both ends of the range, and another issuer with the same key")
    func roundTripVaried() {
        var random = SplitMix64(seed: 0xA17C4A)
        for secret in [0, 1, Fixture.maxNumber, random.int(0...Fixture.maxNumber)] {
            let saltBytes = (0..<16).map { _ in UInt8(random.int(0...255)) }
            let challenge = Fixture.issuer.challenge(
                saltBytes: saltBytes, secretNumber: secret, maxNumber: Fixture.maxNumber,
                expiresAtMs: Fixture.expiresAtMs)
            #expect(ProofOfWorkSolver.solve(challenge) == secret)
            let sameKey = ProofOfWorkIssuer(key: Fixture.key)
            let solution = ProofOfWorkSolution(challenge: challenge, number: secret)
            let verdict = sameKey?.verify(solution, nowMs: Fixture.nowMs)
            #expect(verdict?.isValid == true, "secret \(secret)")
        }
    }

    @Test("difficulty is clamped into the public bounds")
    func difficultyBounds() {
        #expect(ProofOfWorkIssuer.maxNumberBounds == 1_000...10_000_000)
        #expect(ProofOfWorkIssuer.clampedMaxNumber(10) == 1_000)
        #expect(ProofOfWorkIssuer.clampedMaxNumber(-5) == 1_000)
        #expect(ProofOfWorkIssuer.clampedMaxNumber(50_000) == 50_000)
        #expect(ProofOfWorkIssuer.clampedMaxNumber(1_000_000_000) == 10_000_000)
        let tooEasy = Fixture.issuer.challenge(
            saltBytes: Fixture.saltBytes, secretNumber: 7, maxNumber: 10, expiresAtMs: Fixture.expiresAtMs)
        #expect(tooEasy.maxNumber == 1_000)
        let tooHard = Fixture.issuer.challenge(
            saltBytes: Fixture.saltBytes, secretNumber: 7, maxNumber: .max, expiresAtMs: Fixture.expiresAtMs)
        #expect(tooHard.maxNumber == 10_000_000)
        #expect(ProofOfWorkSolver.solve(tooHard) == 7)
    }

    @Test("a salt whose expiry was pushed back no longer hashes to the challenge")
    func tamperedSalt() {
        let solution = Fixture.solution
        let later = Fixture.tampered(solution, salt: "a0a1a2a3a4a5a6a7a8a9aaab?expires=1860000600&")
        #expect(Fixture.issuer.verify(later, nowMs: Fixture.nowMs) == .wrongAnswer)
        let otherRandom = Fixture.tampered(solution, salt: "a0a1a2a3a4a5a6a7a8a9aaac?expires=1760000600&")
        #expect(Fixture.issuer.verify(otherRandom, nowMs: Fixture.nowMs) == .wrongAnswer)
    }

    @Test("moving digits of the number onto the salt (ALTCHA challenge splicing) is refused")
    func splicedSalt() {
        // "…&" + "4321" == "…&4" + "321": same hash input, same challenge and signature, but the salt no
        // longer ends its parameters with "&".
        let spliced = Fixture.tampered(Fixture.solution, number: 321, salt: Fixture.Vector.salt + "4")
        #expect(Fixture.issuer.verify(spliced, nowMs: Fixture.nowMs) == .malformed)
    }

    @Test("a challenge changed by the client fails the signature")
    func tamperedChallenge() {
        // An easier puzzle the client made up: SHA-256 of salt + "0", with the original signature.
        let madeUp = Fixture.issuer.challenge(
            saltBytes: Fixture.saltBytes, secretNumber: 0, maxNumber: Fixture.maxNumber,
            expiresAtMs: Fixture.expiresAtMs)
        let forged = Fixture.tampered(Fixture.solution, challenge: madeUp.challenge, number: 0)
        #expect(Fixture.issuer.verify(forged, nowMs: Fixture.nowMs) == .badSignature)
        var flipped = Array(Fixture.Vector.challenge)
        flipped[0] = flipped[0] == "3" ? "4" : "3"
        let oneDigit = Fixture.tampered(Fixture.solution, challenge: String(flipped))
        #expect(Fixture.issuer.verify(oneDigit, nowMs: Fixture.nowMs) == .badSignature)
    }

    @Test("a challenge signed with another key is refused, though it is correctly solved")
    func otherKey() throws {
        let stranger = try #require(ProofOfWorkIssuer(key: Fixture.otherKey))
        let challenge = stranger.challenge(
            saltBytes: Fixture.saltBytes, secretNumber: 99, maxNumber: Fixture.maxNumber,
            expiresAtMs: Fixture.expiresAtMs)
        let solution = ProofOfWorkSolution(challenge: challenge, number: 99)
        #expect(stranger.verify(solution, nowMs: Fixture.nowMs).isValid)
        #expect(Fixture.issuer.verify(solution, nowMs: Fixture.nowMs) == .badSignature)
        let mixed = Fixture.tampered(Fixture.solution, signature: challenge.signature)
        #expect(Fixture.issuer.verify(mixed, nowMs: Fixture.nowMs) == .badSignature)
    }

    @Test("a wrong number is refused, in range or out of it")
    func wrongNumber() {
        for number in [Fixture.secretNumber - 1, Fixture.secretNumber + 1, 0, -Fixture.secretNumber, 43_210, .max] {
            let guess = Fixture.tampered(Fixture.solution, number: number)
            #expect(Fixture.issuer.verify(guess, nowMs: Fixture.nowMs) == .wrongAnswer, "number \(number)")
        }
    }

    @Test("an answer expires at its whole second, not before")
    func expired() {
        let solution = Fixture.solution
        let expiry = Fixture.expiresAtWholeSecondMs
        #expect(Fixture.issuer.verify(solution, nowMs: expiry - 1) == .valid(expiresAtMs: expiry))
        #expect(Fixture.issuer.verify(solution, nowMs: expiry) == .expired)
        #expect(Fixture.issuer.verify(solution, nowMs: expiry + 86_400_000) == .expired)
    }

    @Test("a salt with a missing, garbled or doubled expiry is refused", arguments: [
        "a0a1a2a3a4a5a6a7a8a9aaab",
        "a0a1a2a3a4a5a6a7a8a9aaab?",
        "a0a1a2a3a4a5a6a7a8a9aaab?&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=1760000600",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=17600006x0&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=-1760000600&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=+1760000600&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=1760000600000000&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=1760000600&expires=1860000600&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expiry=1760000600&",
        "a0a1a2a3a4a5a6a7a8a9aaab?expires=1760000600&&",
        "?expires=1760000600&",
        "A0A1A2A3A4A5A6A7A8A9AAAB?expires=1760000600&",
        String(repeating: "a", count: 300) + "?expires=1760000600&",
    ])
    func garbledExpiry(salt: String) {
        let garbled = Fixture.tampered(Fixture.solution, salt: salt)
        #expect(Fixture.issuer.verify(garbled, nowMs: Fixture.nowMs) == .malformed)
    }

    @Test("other salt parameters are allowed (ALTCHA lets servers add them), and the expiry is read among them")
    func otherParameters() {
        let salt = "a0a1a2?sale=s-1&expires=1760000600&unit=u-2&"
        #expect(ProofOfWorkIssuer.expiresAtMs(salt: salt) == 1_760_000_600_000)
        #expect(ProofOfWorkIssuer.expiresAtMs(salt: Fixture.Vector.salt) == 1_760_000_600_000)
        // Parsed, so the refusal comes from the signature or hash, not from the shape.
        let solution = Fixture.tampered(Fixture.solution, salt: "a0a1a2?sale=s-1&expires=1760000600&")
        #expect(Fixture.issuer.verify(solution, nowMs: Fixture.nowMs) == .wrongAnswer)
    }

    @Test("an algorithm other than SHA-256, or hex in another spelling, is refused as malformed")
    func wrongAlgorithmAndSpelling() {
        for algorithm in ["SHA-1", "SHA-512", "sha-256", ""] {
            let other = Fixture.tampered(Fixture.solution, algorithm: algorithm)
            #expect(Fixture.issuer.verify(other, nowMs: Fixture.nowMs) == .malformed, "\(algorithm)")
        }
        let upperSignature = Fixture.tampered(Fixture.solution, signature: Fixture.Vector.signature.uppercased())
        #expect(Fixture.issuer.verify(upperSignature, nowMs: Fixture.nowMs) == .malformed)
        let shortSignature = Fixture.tampered(Fixture.solution, signature: String(Fixture.Vector.signature.dropLast(2)))
        #expect(Fixture.issuer.verify(shortSignature, nowMs: Fixture.nowMs) == .malformed)
        let upperChallenge = Fixture.tampered(Fixture.solution, challenge: Fixture.Vector.challenge.uppercased())
        #expect(Fixture.issuer.verify(upperChallenge, nowMs: Fixture.nowMs) == .malformed)
    }

    @Test("the solver gives up on what it cannot or should not solve")
    func solverRefusals() {
        let challenge = Fixture.challenge
        let tooSmall = ProofOfWorkChallenge(
            algorithm: challenge.algorithm, challenge: challenge.challenge, maxNumber: Fixture.secretNumber - 1,
            salt: challenge.salt, signature: challenge.signature)
        #expect(ProofOfWorkSolver.solve(tooSmall) == nil)
        let sha1 = ProofOfWorkChallenge(
            algorithm: "SHA-1", challenge: challenge.challenge, maxNumber: challenge.maxNumber, salt: challenge.salt,
            signature: challenge.signature)
        #expect(ProofOfWorkSolver.solve(sha1) == nil)
        let notHex = ProofOfWorkChallenge(
            algorithm: challenge.algorithm, challenge: "zz", maxNumber: challenge.maxNumber, salt: challenge.salt,
            signature: challenge.signature)
        #expect(ProofOfWorkSolver.solve(notHex) == nil)
    }
}
