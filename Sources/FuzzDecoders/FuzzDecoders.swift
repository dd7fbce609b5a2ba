// Coverage-guided fuzzing (libFuzzer) of the decoders that face the network, and of what is computed from what they
// decode. scripts/fuzz-decoders.sh builds it with `--sanitize fuzzer -DFUZZING` and runs each target for a time
// budget; a normal build makes a stub that says so.

import FlashSaleAPI
import FlashSaleCore
import Foundation

/// One decoder the network reaches, fed the fuzzer's bytes. Each must answer (decode, or refuse) without trapping,
/// and what a decoded value allows (ledger arithmetic, a rebalancing decision, a token or captcha check) must not
/// trap either: that is where an unchecked number would.
enum FuzzTarget: String, CaseIterable {
    /// A gossip message (`POST /v1/gossip`): the envelope, then each digest merged into a ledger, rights computed,
    /// and a rebalancing decision from its pulses.
    case gossip
    /// A configuration (`GET /v1/config`): then the token verifier it builds and each sale's phase.
    case config
    /// A buyer token (`Authorization: Bearer`), checked by the verifier with a minting key and a provider's key.
    case token
    /// A proof-of-work answer (`Altcha` header), parsed and checked.
    case captcha
    /// A purchase body (`{"user": ...}`) and the user id rule.
    case purchase
    /// A unit's heartbeat (`POST /v1/units/{id}/report`) and an identity provider's JWKS document.
    case report

    static var current: FuzzTarget {
        FuzzTarget(rawValue: ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "") ?? .gossip
    }

    static let minting = BuyerTokenSigningKey.generate(kid: "k1")
    static let provider = BuyerTokenSigningKey.generate(kid: "idp-1")
    static let verifier = try? BuyerTokenVerifier(
        keys: [minting.publicKey],
        issuer: TokenIssuer(issuer: "https://id.example", audience: "flashsale", keys: [provider.publicKey]))
    static let issuer = ProofOfWorkIssuer(key: Array(repeating: 7, count: 32))
    static let nowMs: Int64 = 1_800_000_000_000

    func run(_ data: Data) {
        switch self {
        case .gossip: Self.gossip(data)
        case .config: Self.config(data)
        case .token: Self.token(data)
        case .captcha: Self.captcha(data)
        case .purchase: _ = (try? WireJSON.decoder.decode(PurchaseInput.self, from: data)).map { IdentifierRule.isValidUserID($0.user) }
        case .report:
            _ = try? WireJSON.decoder.decode(UnitReport.self, from: data)
            _ = (try? WireJSON.decoder.decode(JWKSDocument.self, from: data))?.buyerTokenKeys()
        }
    }

    private static func gossip(_ data: Data) {
        guard let envelope = try? WireJSON.decoder.decode(GossipEnvelope.self, from: data) else { return }
        for digest in envelope.digests {
            var ledger = RightsLedger()
            for (node, row) in digest.rows where row.isPlausible(of: node) { ledger.merge(row, of: node) }
            _ = ledger.admissible(digest.rows.filter { $0.value.isPlausible(of: $0.key) })
            for node in ledger.nodes { _ = ledger.rights(of: node) }
            _ = ledger.totalMinted
            if let witness = digest.witness {
                var counted = RightsLedger(rows: GrantWitness.withoutUnwitnessed(digest.rows, receiver: "me"))
                counted.merge(RightsLedger(rows: witness.rows(except: "me")))
                _ = counted.rights(of: "me")
                _ = witness.dominates(GrantWitness(ledger: ledger))
            }
            if let pulse = digest.pulse {
                let me = Pulse(node: "me", available: 50, demandPerSecond: 1, heartbeatMs: nowMs)
                _ = RebalancePolicy().grants(me: me, peers: [pulse])
                _ = RebalancePolicy().grants(me: pulse, peers: [me])
            }
        }
    }

    private static func config(_ data: Data) {
        guard let config = try? WireJSON.decoder.decode(ClusterConfig.self, from: data) else { return }
        _ = try? BuyerTokenVerifier(keys: config.buyerTokenKeys ?? [], issuer: config.tokenIssuer)
        for sale in config.sales { _ = sale.terms.phase(atMs: nowMs) }
    }

    private static func token(_ data: Data) {
        guard let verifier else { return }
        let token = String(decoding: data, as: UTF8.self)
        // The verifier never suspends; the fuzzer's callback is synchronous, so wait for it here.
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = verifier.verify(token, nowMs: nowMs)
            done.signal()
        }
        done.wait()
    }

    private static func captcha(_ data: Data) {
        guard let solution = ProofOfWorkSolution(payload: String(decoding: data, as: UTF8.self)) else { return }
        _ = issuer?.verify(solution, nowMs: nowMs)
    }
}

#if FUZZING
/// libFuzzer's entry: one input, to the target FUZZ_TARGET names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.current.run(Data(bytes: data, count: size))
    return 0
}
#else
/// Without libFuzzer: `FuzzDecoders seeds DIR` writes a valid input per target (DIR/<target>/seed), where the fuzzer
/// starts from, so it mutates messages that get past the first byte.
@main
enum FuzzDecodersSeeds {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 3, arguments[1] == "seeds" else {
            FileHandle.standardError.write(Data("usage: FuzzDecoders seeds DIR (the fuzzer itself: scripts/fuzz-decoders.sh)\n".utf8))
            exit(64)
        }
        for (target, seed) in try await seeds() {
            let folder = arguments[2] + "/" + target.rawValue
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try seed.write(to: URL(fileURLWithPath: folder + "/seed"))
        }
    }

    static func seeds() async throws -> [(FuzzTarget, Data)] {
        let now = FuzzTarget.nowMs
        let row = LedgerRow(minted: 0, grantedTo: ["eu-2": 5], consumed: 3, released: 1)
        let digest = GossipDigest(
            sale: "phone", from: "eu-1", rows: ["eu-1": row, .center: LedgerRow(minted: 100, grantedTo: ["eu-1": 50])],
            pulse: Pulse(node: "eu-1", available: 42, demandPerSecond: 3.5, heartbeatMs: now),
            witness: GrantWitness(grants: ["eu-1": ["eu-2": 5, .center: 2]]), witnessSignature: String(repeating: "ab", count: 64))
        let envelope = GossipEnvelope(from: "eu-1", sentAtMs: now, nonce: "n-1", digests: [digest])
        let terms = SaleTerms(id: "phone", title: "Phone", startsAtMs: now, endsAtMs: now + 3_600_000, perUserLimit: 1)
        let config = ClusterConfig(
            version: 3, regions: [RegionSpec(id: "eu")], units: [UnitSpec(id: "eu-1", region: "eu", url: "https://eu-1.example")],
            sales: [SaleConfig(terms: terms, centerRow: LedgerRow(minted: 100, grantedTo: ["eu-1": 100]), owners: ["eu": ["eu-1"]])],
            buyerTokenKeys: [FuzzTarget.minting.publicKey], blacklist: ["mallory"],
            tokenIssuer: TokenIssuer(issuer: "https://id.example", audience: "flashsale", keys: [FuzzTarget.provider.publicKey]))
        let token = try await FuzzTarget.minting.mint(
            BuyerClaims(userID: "alice", homeRegion: "eu", level: 1, accountCreatedAtSeconds: 0, expiresAtSeconds: now / 1000 + 600,
                        issuedAtSeconds: now / 1000, issuer: "https://id.example", audience: .init(["flashsale"])))
        var captcha = Data()
        if let issuer = FuzzTarget.issuer {
            let challenge = issuer.challenge(
                saltBytes: Array(repeating: 1, count: 16), secretNumber: 7, maxNumber: 100, expiresAtMs: now + 60_000)
            captcha = Data(try ProofOfWorkSolution(challenge: challenge, number: 7).payload().utf8)
        }
        let report = UnitReport(unit: "eu-1", region: "eu", url: "https://eu-1.example", configVersion: 3, sales: ["phone": row])
        return [
            (.gossip, try WireJSON.encoder.encode(envelope)), (.config, try WireJSON.encoder.encode(config)),
            (.token, Data(token.utf8)), (.captcha, captcha), (.purchase, Data(#"{"user":"alice"}"#.utf8)),
            (.report, try WireJSON.encoder.encode(report)),
        ]
    }
}
#endif
