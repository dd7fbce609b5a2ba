// The answer as the ALTCHA widget submits it: base64 of JSON, size-limited before decoding.

import FlashSaleCore
import Foundation
import Testing

@Suite("ProofOfWork solution payload")
struct ProofOfWorkSolutionTests {
    typealias Fixture = ProofOfWorkFixture

    @Test("the widget's payload decodes (extra fields ignored) and verifies")
    func decodesWidgetPayload() throws {
        let solution = try #require(ProofOfWorkSolution(payload: Fixture.Vector.payload))
        #expect(solution.algorithm == "SHA-256")
        #expect(solution.challenge == Fixture.Vector.challenge)
        #expect(solution.number == Fixture.secretNumber)
        #expect(solution.salt == Fixture.Vector.salt)
        #expect(solution.signature == Fixture.Vector.signature)
        let verdict = Fixture.issuer.verify(solution, nowMs: Fixture.nowMs)
        #expect(verdict == .valid(expiresAtMs: Fixture.expiresAtWholeSecondMs))
    }

    @Test("payload() encodes what init(payload:) decodes")
    func payloadRoundTrip() throws {
        let payload = try Fixture.solution.payload()
        #expect(ProofOfWorkSolution(payload: payload) == Fixture.solution)
    }

    @Test("a challenge encodes with ALTCHA's field names")
    func challengeFieldNames() throws {
        let json = try JSONEncoder().encode(Fixture.challenge)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == ["algorithm", "challenge", "maxnumber", "salt", "signature"])
        #expect(object["maxnumber"] as? Int == Fixture.maxNumber)
        #expect(try JSONDecoder().decode(ProofOfWorkChallenge.self, from: json) == Fixture.challenge)
    }

    @Test("a payload over 2 KiB is refused before decoding, even when it is otherwise valid")
    func oversize() throws {
        #expect(ProofOfWorkSolution.payloadMaxBytes == 2_048)
        // A valid answer padded with a long extra field: fine at the limit, refused one byte over.
        func padded(to length: Int) throws -> String {
            var padding = ""
            while true {
                let json = """
                    {"algorithm":"SHA-256","challenge":"\(Fixture.Vector.challenge)","number":\(Fixture.secretNumber),\
                    "salt":"\(Fixture.Vector.salt)","signature":"\(Fixture.Vector.signature)","pad":"\(padding)"}
                    """
                let payload = Data(json.utf8).base64EncodedString()
                if payload.utf8.count >= length { return payload }
                padding += "x"
            }
        }
        let atLimit = try padded(to: ProofOfWorkSolution.payloadMaxBytes - 3)
        #expect(atLimit.utf8.count <= ProofOfWorkSolution.payloadMaxBytes)
        #expect(ProofOfWorkSolution(payload: atLimit)?.number == Fixture.secretNumber)
        let over = try padded(to: ProofOfWorkSolution.payloadMaxBytes + 1)
        #expect(over.utf8.count > ProofOfWorkSolution.payloadMaxBytes)
        #expect(Data(base64Encoded: over) != nil, "well-formed base64, refused for its size alone")
        #expect(ProofOfWorkSolution(payload: over) == nil)
    }

    @Test("payloads that are not base64 of the answer JSON are refused", arguments: [
        "",
        "not base64!",
        Data("{\"algorithm\":\"SHA-256\"}".utf8).base64EncodedString(),
        Data("[1,2,3]".utf8).base64EncodedString(),
        Data(
            "{\"algorithm\":\"SHA-256\",\"challenge\":\"c\",\"number\":\"12\",\"salt\":\"s\",\"signature\":\"g\"}".utf8
        ).base64EncodedString(),
        Data(
            "{\"algorithm\":\"SHA-256\",\"challenge\":\"c\",\"number\":1e30,\"salt\":\"s\",\"signature\":\"g\"}".utf8
        ).base64EncodedString(),
    ])
    func notAPayload(payload: String) {
        #expect(ProofOfWorkSolution(payload: payload) == nil)
    }
}
