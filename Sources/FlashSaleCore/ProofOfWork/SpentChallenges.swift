// Makes each proof-of-work answer buy once: the signatures of answers already used, until they expire.

/// The signatures of spent answers, each kept until its challenge expires: after that the issuer refuses the
/// answer as `.expired` anyway, so memory holds only what is live. A value type with no lock: the caller owns
/// one per unit behind its own mutex or actor, and passes the same `nowMs` it gave `ProofOfWorkIssuer.verify`
/// (an entry is forgotten at `nowMs >= expiresAtMs`, exactly when the issuer starts refusing it).
public struct SpentChallenges: Sendable {
    /// Hard bound on entries held. When it is reached, new spends are refused until entries expire: forgetting a
    /// live entry early would let its answer be spent again, and a crowd that floods us to force that would turn
    /// one solved puzzle into many purchases. Failing closed costs honest buyers a retry for a moment, never the
    /// captcha. Size it to (challenges answered per second) x (time to live in seconds), with room to spare.
    public let maxEntries: Int
    /// Signature to expiry, in ms.
    private var expiryBySignature: [String: Int64] = [:]
    /// A binary min-heap on expiry over the same entries, so forgetting costs O(log n) per entry whatever the
    /// order of expiries (sales may use different times to live).
    private var heap: [(expiresAtMs: Int64, signature: String)] = []

    public init(maxEntries: Int) {
        precondition(maxEntries > 0, "maxEntries must be positive")
        self.maxEntries = maxEntries
    }

    /// Live entries held.
    public var count: Int { expiryBySignature.count }

    /// Records the answer signed `signature` (as verified, lowercase hex) as spent; true when it was not spent
    /// before. False also when it has already expired at `nowMs` (it cannot be valid), and when `maxEntries`
    /// live entries are held (fail closed, see `maxEntries`).
    public mutating func spend(signature: String, expiresAtMs: Int64, nowMs: Int64) -> Bool {
        forgetExpired(nowMs: nowMs)
        guard expiresAtMs > nowMs,
            expiryBySignature[signature] == nil,
            expiryBySignature.count < maxEntries
        else { return false }
        expiryBySignature[signature] = expiresAtMs
        push((expiresAtMs, signature))
        precondition(
            heap.count == expiryBySignature.count && heap.count <= maxEntries,
            "invariant: the spent set and its expiry heap agree, within maxEntries")
        return true
    }

    /// Forgets entries whose challenge has expired at `nowMs`; `spend` does this itself, an idle unit may call it
    /// to give memory back.
    public mutating func forgetExpired(nowMs: Int64) {
        while let earliest = heap.first, earliest.expiresAtMs <= nowMs {
            expiryBySignature.removeValue(forKey: earliest.signature)
            popEarliest()
        }
    }

    private mutating func push(_ entry: (expiresAtMs: Int64, signature: String)) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].expiresAtMs < heap[parent].expiresAtMs else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popEarliest() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].expiresAtMs < heap[smallest].expiresAtMs { smallest = left }
            if right < heap.count, heap[right].expiresAtMs < heap[smallest].expiresAtMs { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
