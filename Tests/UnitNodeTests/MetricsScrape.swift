// A scrape of GET /metrics, parsed: the value of each series by its name and labels as printed.

import Foundation
import HummingbirdTesting
import Testing

/// The series of one Prometheus text exposition, keyed as printed (`name{label="value"}`).
struct MetricsScrape {
    let values: [String: Double]
    let contentType: String?

    init(_ response: TestResponse) {
        contentType = response.headers[.contentType]
        var values: [String: Double] = [:]
        for line in String(buffer: response.body).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[String(line[..<space])] = value
        }
        self.values = values
    }

    /// Reads `/metrics` of the unit behind `client`.
    static func of(_ client: some TestClientProtocol) async throws -> MetricsScrape {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        return MetricsScrape(response)
    }

    subscript(_ series: String) -> Double? { values[series] }

    /// Purchases answered with `outcome` (`created`, `replayed` or a problem code).
    func purchases(_ outcome: String) -> Double? { values["flashsale_purchases_total{outcome=\"\(outcome)\"}"] }
}
