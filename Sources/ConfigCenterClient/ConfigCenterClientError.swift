// The three ways a call to the config-center can fail, which scripts and units handle differently.

public import FlashSaleAPI

/// Why a config-center call did not succeed.
public enum ConfigCenterClientError: Error, Sendable, CustomStringConvertible {
    /// No answer: not listening, connection refused, timed out. Units run on their last config; the CLI exits 69.
    case unreachable(String)
    /// The config-center answered with a refusal; nothing was changed.
    case refused(Problem)
    /// An answer that is not what the API promises.
    case unexpected(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "config-center unreachable: \(detail)"
        case .refused(let problem): "\(problem.code.rawValue): \(problem.detail ?? problem.title)"
        case .unexpected(let detail): "unexpected answer: \(detail)"
        }
    }
}
