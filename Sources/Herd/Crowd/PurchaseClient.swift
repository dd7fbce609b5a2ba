// The HTTP calls a buyer makes at a unit: fetch a proof-of-work challenge, post a purchase.

import AsyncHTTPClient
import FlashSaleAPI
import FlashSaleCore
import Foundation
import NIOCore

/// Buyer requests over one shared `HTTPClient`. Never throws: a failure without an answer comes back as status
/// 0 with the kind of failure as its code, so the crowd counts it like any other answer.
struct PurchaseClient: Sendable {
    let http: HTTPClient
    let sale: String

    /// Largest answer body read: a purchase answer or a challenge is well under a kilobyte.
    static let answerBytesMax = 64 * 1024

    /// POST a purchase as `buyer` at `baseURL`, carrying a solved challenge when given.
    func purchase(_ buyer: Buyer, at baseURL: String, altcha: String?, timeout: Duration) async -> PurchaseAnswer {
        var url = baseURL + "/v1/sales/\(sale)/purchases"
        if buyer.token == nil { url += "?user=\(buyer.user)" }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if let token = buyer.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Idempotency-Key", value: buyer.idempotencyKey)
        if let altcha { request.headers.add(name: "Altcha", value: altcha) }
        let (answer, body) = await execute(request, timeout: timeout)
        guard var answer, let body else { return answer ?? PurchaseAnswer(status: 0, code: "no-answer", latencyMicroseconds: 0) }
        if answer.status == 201 {
            guard let order = try? WireJSON.decoder.decode(OrderView.self, from: body) else {
                answer.code = "unreadable-order"
                return answer
            }
            answer.order = order
        }
        return answer
    }

    /// A solved challenge (the `Altcha` header's value), or the answer that stood in the way.
    enum Challenge: Sendable {
        case solved(String)
        case refused(PurchaseAnswer)
    }

    /// GET a challenge at `baseURL` and solve it.
    func solvedChallenge(at baseURL: String, timeout: Duration) async -> Challenge {
        let request = HTTPClientRequest(url: baseURL + "/v1/sales/\(sale)/challenge")
        let (answer, body) = await execute(request, timeout: timeout)
        guard let answer, let body, answer.status == 200 else {
            return .refused(answer ?? PurchaseAnswer(status: 0, code: "no-answer", latencyMicroseconds: 0))
        }
        guard let challenge = try? JSONDecoder().decode(ProofOfWorkChallenge.self, from: body),
            let number = ProofOfWorkSolver.solve(challenge),
            let payload = try? ProofOfWorkSolution(challenge: challenge, number: number).payload()
        else {
            return .refused(PurchaseAnswer(status: 0, code: "unsolvable-challenge", latencyMicroseconds: answer.latencyMicroseconds))
        }
        return .solved(payload)
    }

    /// Sends `request`; the answer's status, problem and timing, and its body when one arrived.
    private func execute(_ request: HTTPClientRequest, timeout: Duration) async -> (PurchaseAnswer?, Data?) {
        let started = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
            let bytes = try await response.body.collect(upTo: Self.answerBytesMax)
            let elapsed = ContinuousClock.now - started
            let body = Data(buffer: bytes)
            var answer = PurchaseAnswer(
                status: Int(response.status.code), latencyMicroseconds: UInt64(max(Self.nanoseconds(elapsed) / 1_000, 1)))
            if !(200..<300).contains(answer.status) {
                let problem = try? JSONDecoder().decode(PurchaseAnswer.ProblemBody.self, from: body)
                answer.code = problem?.code
                answer.endpoint = problem?.endpoint
                answer.retryAfterSeconds = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                    ?? problem?.retryAfterSeconds
            }
            return (answer, body)
        } catch {
            return (PurchaseAnswer(status: 0, code: Self.failureKind(error), latencyMicroseconds: 0), nil)
        }
    }

    /// A short stable name for a failure without an answer, for the answers table.
    static func failureKind(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return "timeout"
            case .remoteConnectionClosed: return "connection-closed"
            default: break
            }
        }
        if error is ChannelError { return "connection-failed" }
        let text = String(describing: error).lowercased()
        if text.contains("refused") { return "connection-refused" }
        if text.contains("timeout") || text.contains("timed out") { return "timeout" }
        return "no-answer"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole + attoseconds / 1_000_000_000
    }
}
