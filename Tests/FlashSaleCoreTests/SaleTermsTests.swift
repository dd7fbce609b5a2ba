// SaleTerms: validation messages and the phase of the sale window at a given instant.

import FlashSaleCore
import Foundation
import Testing

@Suite("SaleTerms")
struct SaleTermsTests {
    static func terms(
        id: String = "spring-sale", title: String = "Spring sale", startsAtMs: Int64 = 1_000, endsAtMs: Int64 = 2_000,
        perUserLimit: Int = 1
    ) -> SaleTerms {
        SaleTerms(id: id, title: title, startsAtMs: startsAtMs, endsAtMs: endsAtMs, perUserLimit: perUserLimit)
    }

    static let idMessage = "sale id must be 1-64 characters of a-z, 0-9 and '-'"
    static let titleMessage = "title must be 1-200 bytes"
    static let startMessage = "start time must be after 1970"
    static let endMessage = "end time must be after the start time"
    static let limitMessage = "per-user limit must be 1-100"

    @Test("valid terms have no violation")
    func valid() {
        #expect(Self.terms().violation == nil)
        #expect(Self.terms(id: String(repeating: "a", count: 64)).violation == nil)
        #expect(Self.terms(title: String(repeating: "t", count: 200)).violation == nil)
        #expect(Self.terms(title: String(repeating: "é", count: 100)).violation == nil)  // 200 bytes
        #expect(Self.terms(startsAtMs: 0, endsAtMs: 1).violation == nil)
        #expect(Self.terms(perUserLimit: 100).violation == nil)
    }

    @Test("bad sale ids", arguments: ["", "Spring", "-sale", "sale_1", "sale 1", "sälé", String(repeating: "a", count: 65)])
    func badID(id: String) {
        #expect(Self.terms(id: id).violation == Self.idMessage)
    }

    @Test("bad titles are measured in UTF-8 bytes")
    func badTitle() {
        #expect(Self.terms(title: "").violation == Self.titleMessage)
        #expect(Self.terms(title: String(repeating: "t", count: 201)).violation == Self.titleMessage)
        #expect(Self.terms(title: String(repeating: "é", count: 101)).violation == Self.titleMessage)  // 101 chars, 202 bytes
    }

    @Test("start before 1970 and end not after start are refused")
    func badWindow() {
        #expect(Self.terms(startsAtMs: -1, endsAtMs: 10).violation == Self.startMessage)
        #expect(Self.terms(startsAtMs: 1_000, endsAtMs: 1_000).violation == Self.endMessage)
        #expect(Self.terms(startsAtMs: 1_000, endsAtMs: 999).violation == Self.endMessage)
    }

    @Test("per-user limit must be 1-100", arguments: [0, -1, 101, Int.max])
    func badLimit(limit: Int) {
        #expect(Self.terms(perUserLimit: limit).violation == Self.limitMessage)
    }

    @Test("the first broken rule is reported")
    func firstViolation() {
        #expect(Self.terms(id: "", title: "", startsAtMs: -5, endsAtMs: -10, perUserLimit: 0).violation == Self.idMessage)
        #expect(Self.terms(title: "", startsAtMs: -5, endsAtMs: -10, perUserLimit: 0).violation == Self.titleMessage)
        #expect(Self.terms(startsAtMs: -5, endsAtMs: -10, perUserLimit: 0).violation == Self.startMessage)
        #expect(Self.terms(startsAtMs: 5, endsAtMs: 5, perUserLimit: 0).violation == Self.endMessage)
    }

    @Test("phase before, at, during and after the window")
    func phase() {
        let sale = Self.terms(startsAtMs: 1_000, endsAtMs: 2_000)
        #expect(sale.phase(atMs: 0) == .scheduled(startsInMs: 1_000))
        #expect(sale.phase(atMs: -500) == .scheduled(startsInMs: 1_500))
        #expect(sale.phase(atMs: 999) == .scheduled(startsInMs: 1))
        #expect(sale.phase(atMs: 1_000) == .open)  // start is inclusive
        #expect(sale.phase(atMs: 1_999) == .open)
        #expect(sale.phase(atMs: 2_000) == .ended)  // end is exclusive
        #expect(sale.phase(atMs: Int64.max) == .ended)
    }

    @Test("phase names on the wire")
    func phaseNames() {
        #expect(SalePhase.scheduled(startsInMs: 5).name == "scheduled")
        #expect(SalePhase.open.name == "open")
        #expect(SalePhase.ended.name == "ended")
    }

    @Test("terms survive a JSON round trip")
    func codable() throws {
        let sale = Self.terms(perUserLimit: 3)
        let data = try JSONEncoder().encode(sale)
        #expect(try JSONDecoder().decode(SaleTerms.self, from: data) == sale)
    }
}
