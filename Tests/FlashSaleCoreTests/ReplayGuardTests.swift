// The replay guard: a message is accepted once, within its window, with bounded memory.

import FlashSaleCore
import Testing

@Suite("ReplayGuard")
struct ReplayGuardTests {
    @Test("fresh once, replayed after, stale outside the window")
    func verdicts() {
        var guardian = ReplayGuard(windowMs: 1_000, capacity: 100)
        #expect(guardian.admit(nonce: "a", sentAtMs: 10_000, nowMs: 10_000) == .fresh)
        #expect(guardian.admit(nonce: "a", sentAtMs: 10_000, nowMs: 10_100) == .replayed)
        #expect(guardian.admit(nonce: "b", sentAtMs: 8_000, nowMs: 10_100) == .stale)
        #expect(guardian.admit(nonce: "c", sentAtMs: 12_000, nowMs: 10_100) == .stale, "from the future")
        // Once out of the window the nonce is forgotten, and the message is stale anyway.
        #expect(guardian.admit(nonce: "a", sentAtMs: 10_000, nowMs: 11_500) == .stale)
    }

    @Test("memory stays bounded; what was forgotten early is refused as stale, never accepted twice")
    func bounded() {
        var guardian = ReplayGuard(windowMs: 60_000, capacity: 10)
        for index in 0..<50 {
            #expect(guardian.admit(nonce: "n\(index)", sentAtMs: Int64(index), nowMs: 100) == .fresh)
        }
        for index in 0..<50 {
            #expect(guardian.admit(nonce: "n\(index)", sentAtMs: Int64(index), nowMs: 100) != .fresh)
        }
    }
}
