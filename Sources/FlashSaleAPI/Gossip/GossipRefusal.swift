// Why a gossip message was refused; each leaves every ledger as it was.

public enum GossipRefusal: ProblemConvertible {
    case badSignature
    /// The message is not signed by the key its sender was enrolled with.
    case badSenderSignature(String)
    case stale
    case replayed
    case unknownSender(String)
    case malformed(String)
    /// A member (its signature checked) or a client address sent more messages than any honest unit does.
    case tooMany(Problem)

    public var problem: Problem {
        switch self {
        case .badSignature: Problem(.unauthorized, "gossip signature missing or wrong")
        case .badSenderSignature(let node):
            Problem(.unauthorized, "gossip not signed by the key '\(node)' was enrolled with (\(GossipSenderSignature.header))")
        case .stale: Problem(.unauthorized, "gossip message too old or from the future")
        case .replayed: Problem(.unauthorized, "gossip message already seen")
        case .unknownSender(let node): Problem(.unauthorized, "'\(node)' is not a member of this cluster")
        case .malformed(let detail): Problem(.invalidInput, "malformed gossip: \(detail)")
        case .tooMany(let problem): problem
        }
    }
}
