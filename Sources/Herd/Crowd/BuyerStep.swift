// What a buyer does after each answer: stop, follow the cluster's directions, or wait and try again.

/// The next move of one buyer, decided from the answer alone, so the herd behaves like a well-written buyer's
/// app: it goes where a 421 sends it, honours Retry-After on 503 and 429, and stops on a final answer.
enum BuyerStep: Equatable, Sendable {
    /// Done: the buyer's final outcome.
    case finish(BuyerOutcome)
    /// Ask again at the endpoint a misdirection named.
    case redirect(to: String)
    /// Ask again at the same place after waiting this long (a fresh challenge is fetched when the sale asks).
    case retry(afterMilliseconds: Int)

    /// Longest wait the herd accepts from a Retry-After; longer ones are cut to this, so a run stays bounded.
    static let retryWaitMaxMilliseconds = 5_000
    /// Wait before trying again after a failure without an answer (a refused connection, a timeout).
    static let transportRetryMilliseconds = 200

    /// The limits of one buyer's persistence.
    struct Budget: Equatable, Sendable {
        var retriesLeft: Int
        var redirectsLeft: Int
    }

    /// The move after an answer with `status` (0: no answer), problem `code`, the `endpoint` a 421 named and
    /// the Retry-After in seconds (header or problem body).
    static func after(
        status: Int, code: String?, endpoint: String?, retryAfterSeconds: Int?, budget: Budget
    ) -> BuyerStep {
        switch status {
        case 200..<300:
            return .finish(.ordered)
        case 421:
            guard let endpoint, !endpoint.isEmpty else { return .finish(.refused(code ?? "misdirected")) }
            return budget.redirectsLeft > 0 ? .redirect(to: endpoint) : .finish(.gaveUp(code ?? "misdirected"))
        default:
            break
        }
        if code == "already-bought" { return .finish(.alreadyBought) }
        if code == "sold-out" || status == 410 { return .finish(.soldOut) }
        guard isWorthRetrying(status: status, code: code) else { return .finish(.refused(code ?? "http-\(status)")) }
        guard budget.retriesLeft > 0 else { return .finish(.gaveUp(code ?? (status == 0 ? "no-answer" : "http-\(status)"))) }
        if status == 0 { return .retry(afterMilliseconds: transportRetryMilliseconds) }
        let wait = (retryAfterSeconds ?? 0).multipliedReportingOverflow(by: 1_000)
        return .retry(afterMilliseconds: wait.overflow ? retryWaitMaxMilliseconds : min(max(wait.partialValue, 0), retryWaitMaxMilliseconds))
    }

    /// Answers that may turn out differently a moment later: stock on its way, a unit recovering or busy, a rate
    /// limit, an opening time, a first request still being written, a challenge that expired or was spent, and
    /// failures without an answer (the Idempotency-Key makes a blind retry safe).
    private static func isWorthRetrying(status: Int, code: String?) -> Bool {
        switch code {
        case "rebalancing", "unit-recovering", "order-not-persisted", "custody-pending", "sale-paused", "rate-limited",
            "sale-not-started", "idempotency-in-progress", "captcha-expired", "captcha-reused":
            return true
        default:
            return status == 0 || status == 503 || status == 429
        }
    }
}
