// The crowd: a bounded number of workers, each taking the next buyer and seeing it through to a final answer.

import FlashSaleAPI

/// Fires `buyers` at the cluster, `concurrency` at a time, until all have a final answer or the deadline passes.
/// Every buyer asks where its region sends it, follows a 421 to its owner, and retries what may change, within
/// `retries`; nothing runs past the deadline but the one request in flight, itself bounded by the time left.
struct Crowd: Sendable {
    let buyers: [Buyer]
    let concurrency: Int
    let retries: Int
    /// Hops a buyer follows: wrong region, then wrong unit.
    let redirects = 2
    let captchaRequired: Bool
    let client: PurchaseClient
    let counters: CrowdCounters
    let started: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant

    /// Longest wait for one answer (less when the deadline is nearer).
    static let requestTimeout = Duration.seconds(10)

    func run() async -> CrowdResult {
        await withTaskGroup(of: CrowdResult.self) { group in
            for _ in 0..<min(concurrency, buyers.count) {
                group.addTask {
                    var result = CrowdResult()
                    while ContinuousClock.now < deadline, let index = counters.takeBuyer(below: buyers.count) {
                        result.buyersStarted += 1
                        let outcome = await buy(buyers[index], into: &result)
                        result.outcomes[outcome, default: 0] += 1
                        counters.buyersDone.add(1, ordering: .relaxed)
                    }
                    return result
                }
            }
            var total = CrowdResult()
            for await result in group { total.merge(result) }
            return total
        }
    }

    /// One buyer, from its first request to its final answer.
    private func buy(_ buyer: Buyer, into result: inout CrowdResult) async -> BuyerOutcome {
        var url = buyer.entryURL
        var fallback = 0
        var budget = BuyerStep.Budget(retriesLeft: retries, redirectsLeft: redirects)
        while true {
            guard let timeout = timeLeft() else { return .timeLimit }
            var answer: PurchaseAnswer
            var altcha: String?
            if captchaRequired {
                switch await client.solvedChallenge(at: url, timeout: timeout) {
                case .solved(let payload):
                    altcha = payload
                    result.challengesSolved += 1
                case .refused(let refusal):
                    answer = refusal
                    result.add(
                        status: answer.status, code: "challenge: \(answer.code ?? "http-\(answer.status)")",
                        atMilliseconds: milliseconds(since: started))
                    counters.requests.add(1, ordering: .relaxed)
                    if let step = await next(after: answer, budget: &budget, url: &url) { return step }
                    continue
                }
            }
            guard let purchaseTimeout = timeLeft() else { return .timeLimit }
            answer = await client.purchase(buyer, at: url, altcha: altcha, timeout: purchaseTimeout)
            counters.requests.add(1, ordering: .relaxed)
            result.add(status: answer.status, code: answer.code, atMilliseconds: milliseconds(since: started))
            if answer.status != 0 { result.record(latencyMicroseconds: answer.latencyMicroseconds) }
            if answer.status == 201, let order = answer.order {
                counters.orders.add(1, ordering: .relaxed)
                result.acknowledged.append(
                    CrowdResult.Acknowledged(
                        id: order.id, unit: order.unit, user: order.user, buyerRegion: buyer.region,
                        atMilliseconds: milliseconds(since: started)))
            }
            if answer.status == 0, !buyer.fallbackURLs.isEmpty {
                // No answer: the unit may be down for good. Start again at another of the region's entries, whose
                // 421 names the buyer's owner now (another unit, once the config-center retired the silent one).
                fallback += 1
                url = ([buyer.entryURL] + buyer.fallbackURLs)[fallback % (buyer.fallbackURLs.count + 1)]
                budget.redirectsLeft = redirects
            }
            if let outcome = await next(after: answer, budget: &budget, url: &url) { return outcome }
        }
    }

    /// The buyer's final outcome, or nil after moving `url` or waiting out a Retry-After for another try.
    private func next(after answer: PurchaseAnswer, budget: inout BuyerStep.Budget, url: inout String) async -> BuyerOutcome? {
        switch BuyerStep.after(
            status: answer.status, code: answer.code, endpoint: answer.endpoint, retryAfterSeconds: answer.retryAfterSeconds,
            budget: budget)
        {
        case .finish(let outcome):
            // A 201 without a readable order is not an order the herd can vouch for.
            if outcome == .ordered, answer.order == nil { return .refused(answer.code ?? "unreadable-order") }
            return outcome
        case .redirect(let endpoint):
            budget.redirectsLeft -= 1
            url = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            return nil
        case .retry(let waitMilliseconds):
            budget.retriesLeft -= 1
            let resume = ContinuousClock.now + .milliseconds(waitMilliseconds)
            guard resume < deadline else { return .timeLimit }
            try? await Task.sleep(until: resume, clock: .continuous)
            return nil
        }
    }

    /// Time for the next request: the usual timeout, or what is left before the deadline; nil when none is.
    private func timeLeft() -> Duration? {
        let left = deadline - ContinuousClock.now
        guard left > .milliseconds(1) else { return nil }
        return min(left, Self.requestTimeout)
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int(PurchaseClient.nanoseconds(ContinuousClock.now - start) / 1_000_000)
    }
}
