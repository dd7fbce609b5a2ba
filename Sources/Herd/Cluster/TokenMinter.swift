// One buyer token per buyer, minted by the config-center before the crowd starts (as buyers log in beforehand).

import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import Foundation

/// Mints tokens for every buyer a few at a time; each token carries the buyer's region and claims that pass the
/// sale's eligibility rules, so the rehearsal measures the sale, not refusals the herd brought on itself.
struct TokenMinter: Sendable {
    let client: ConfigCenterClient
    let rules: AdmissionRules
    let ttlSeconds: Int
    /// Mint requests in flight at once.
    let parallel: Int

    /// The claims a herd buyer carries: at least the level and account age the sale asks for.
    var level: Int { max(rules.eligibility?.minLevel ?? 0, 1) }
    var accountAgeSeconds: Int64 { max((rules.eligibility?.minAccountAgeSeconds ?? 0) + 86_400, 365 * 86_400) }

    /// Tokens in buyer order; the first refusal or failure stops the minting and is thrown.
    func mint(users: [(user: String, region: String)], counters: CrowdCounters) async throws(ConfigCenterClientError) -> [String] {
        let created = Date().addingTimeInterval(-Double(accountAgeSeconds))
        let result: Result<[String], ConfigCenterClientError> = await withTaskGroup(
            of: Result<(Int, String), ConfigCenterClientError>.self
        ) { group in
            var tokens = [String](repeating: "", count: users.count)
            var next = 0
            var failure: ConfigCenterClientError?
            func start(_ index: Int) {
                let request = TokenRequest(
                    user: users[index].user, region: users[index].region, level: level, accountCreatedAt: created,
                    ttlSeconds: ttlSeconds)
                group.addTask {
                    do throws(ConfigCenterClientError) {
                        return .success((index, try await client.mintToken(request).token))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(parallel, users.count) {
                start(next)
                next += 1
            }
            while let outcome = await group.next() {
                switch outcome {
                case .success(let (index, token)):
                    tokens[index] = token
                    counters.buyersDone.add(1, ordering: .relaxed)
                    if failure == nil, next < users.count {
                        start(next)
                        next += 1
                    }
                case .failure(let error):
                    failure = failure ?? error
                }
            }
            if let failure { return .failure(failure) }
            return .success(tokens)
        }
        return try result.get()
    }
}
