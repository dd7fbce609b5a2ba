// When a unit on a new database may sell again.

import FlashSaleCore
import Testing

@Suite("RecoveryProgress")
struct RecoveryProgressTests {
    @Test("nothing counts before the config-center's copy is back")
    func waitsForTheCenter() {
        var progress = RecoveryProgress(patienceMs: 1_000)
        progress.heard(from: "b")
        #expect(!progress.isComplete(atMs: .max))
        progress.centerRestored(peers: ["b"], atMs: 10)
        #expect(!progress.isComplete(atMs: 10), "b was heard before the unit knew its sales: it must be heard again")
        progress.heard(from: "b")
        #expect(progress.isComplete(atMs: 10))
    }

    @Test("complete once every peer is heard, or once the patience runs out")
    func everyPeerOrPatience() {
        var progress = RecoveryProgress(patienceMs: 1_000)
        progress.centerRestored(peers: ["b", "c"], atMs: 5_000)
        progress.heard(from: "b")
        #expect(!progress.isComplete(atMs: 5_999))
        #expect(progress.silentPeers == ["c"])
        #expect(progress.isComplete(atMs: 6_000))
        progress.heard(from: "c")
        #expect(progress.isComplete(atMs: 5_001))
    }

    @Test("no peers (no gossip): complete as soon as the config-center's copy is back")
    func noPeers() {
        var progress = RecoveryProgress(patienceMs: 1_000)
        progress.centerRestored(peers: [], atMs: 0)
        #expect(progress.isComplete(atMs: 0))
    }

    @Test("a second copy from the config-center does not restart the patience; huge patience does not overflow")
    func restoredOnce() {
        var progress = RecoveryProgress(patienceMs: .max)
        progress.centerRestored(peers: ["b"], atMs: 100)
        progress.centerRestored(peers: ["b", "c"], atMs: 200)
        #expect(progress.centerRestoredAtMs == 100)
        #expect(progress.silentPeers == ["b"])
        #expect(progress.isComplete(atMs: .max))
        #expect(!progress.isComplete(atMs: 1_000))
    }
}
