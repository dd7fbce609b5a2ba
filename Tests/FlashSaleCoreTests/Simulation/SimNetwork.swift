// A simulated network: messages dropped, duplicated, delayed (so reordered) and cut by partitions, by seed.

import FlashSaleCore
import TestSupport

struct SimMessage {
    let deliverAt: Int
    let to: NodeID
    let digest: GossipDigest
    /// A push expects the receiver to answer with its own digest (push-pull).
    let isPush: Bool
}

struct SimNetwork {
    var dropPercent = 10
    var duplicatePercent = 5
    var maxDelay = 5
    /// Unordered pairs that cannot talk while the partition lasts.
    var cut: Set<[NodeID]> = []
    private(set) var inFlight: [SimMessage] = []

    mutating func send(_ digest: GossipDigest, to: NodeID, isPush: Bool, now: Int, rng: inout SplitMix64) {
        guard !isCut(digest.from, to), !rng.chance(dropPercent) else { return }
        let copies = rng.chance(duplicatePercent) ? 2 : 1
        for _ in 0..<copies {
            inFlight.append(SimMessage(deliverAt: now + rng.int(1...max(maxDelay, 1)), to: to, digest: digest, isPush: isPush))
        }
    }

    /// Messages due at `now`, in a seeded random order.
    mutating func due(now: Int, rng: inout SplitMix64) -> [SimMessage] {
        var ready = inFlight.filter { $0.deliverAt <= now }
        inFlight.removeAll { $0.deliverAt <= now }
        ready.shuffle(using: &rng)
        return ready.filter { !isCut($0.digest.from, $0.to) }
    }

    /// Forgets every message to or from `node`: its connections died with it.
    mutating func dropAll(of node: NodeID) {
        inFlight.removeAll { $0.to == node || $0.digest.from == node }
    }

    func isCut(_ a: NodeID, _ b: NodeID) -> Bool { cut.contains([a, b].sorted()) }

    mutating func heal() {
        cut.removeAll()
        dropPercent = 0
        duplicatePercent = 0
    }
}
