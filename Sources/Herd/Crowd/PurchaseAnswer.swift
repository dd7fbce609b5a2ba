// One HTTP answer to a buyer's request, reduced to what the herd acts on and counts.

import FlashSaleAPI

/// Status, problem code and directions of one answer (status 0: none arrived), and how long it took.
struct PurchaseAnswer: Sendable {
    var status: Int
    var code: String?
    var endpoint: String?
    var retryAfterSeconds: Int?
    /// The order of a 201.
    var order: OrderView?
    var latencyMicroseconds: UInt64

    /// The problem members the herd reads. The code is kept as text, so a code added to the API later is
    /// counted under its own name instead of failing to decode.
    struct ProblemBody: Decodable {
        var code: String?
        var endpoint: String?
        var retryAfterSeconds: Int?
    }
}
