// One gossip message between nodes: who sends it, when, and its digests per sale.

public import FlashSaleCore

/// The body of `POST /v1/gossip` and of its answer. `sentAtMs` and `nonce` are inside the signed bytes, so a
/// message cannot be replayed later or re-dated (see `ReplayGuard`).
public struct GossipEnvelope: Sendable, Codable, Equatable {
    public var from: NodeID
    public var sentAtMs: Int64
    /// Random per message.
    public var nonce: String
    public var digests: [GossipDigest]

    public init(from: NodeID, sentAtMs: Int64, nonce: String, digests: [GossipDigest]) {
        self.from = from
        self.sentAtMs = sentAtMs
        self.nonce = nonce
        self.digests = digests
    }

    /// A fresh random nonce.
    public static func makeNonce() -> String {
        var random = SystemRandomNumberGenerator()
        return String(random.next(), radix: 16) + String(random.next(), radix: 16)
    }
}

extension GossipEnvelope {
    private enum CodingKeys: String, CodingKey {
        case from, sentAtMs, nonce, digests
    }

    /// Refuses times, nonces and digest counts out of `WireBounds`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            from: try container.decode(NodeID.self, forKey: .from),
            sentAtMs: try container.decode(Int64.self, forKey: .sentAtMs, in: WireBounds.timeMs),
            nonce: try container.decode(String.self, forKey: .nonce, maxBytes: WireBounds.tokenBytesMax),
            digests: try container.decode([GossipDigest].self, forKey: .digests, maxCount: WireBounds.entriesMax))
    }
}
