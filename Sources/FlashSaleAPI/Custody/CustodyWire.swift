// Custody messages between units of a region, as JSON: the copies an owner sends a guardian, and the answers.

public import FlashSaleCore

/// An owner's copies for one guardian (`CustodyMessage`), as `POST /v1/custody/{sale}/copies` carries them. The view
/// travels as the units it retired (the owners are the sale's, which the receiver has from its configuration).
public struct CustodyCopies: Sendable, Codable, Equatable {
    public struct Buyer: Sendable, Codable, Equatable {
        public var user: String
        public var version: Int64
        public var orders: [OrderCopy]

        public init(user: String, version: Int64, orders: [OrderCopy]) {
            self.user = user
            self.version = version
            self.orders = orders
        }

        private enum CodingKeys: String, CodingKey { case user, version, orders }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let user = try container.decode(String.self, forKey: .user, maxBytes: IdentifierRule.userIDMaxLength)
            guard IdentifierRule.isValidUserID(user) else {
                throw DecodingError.dataCorruptedError(forKey: .user, in: container, debugDescription: "not a user id")
            }
            self.init(
                user: user, version: try container.decode(Int64.self, forKey: .version, in: 0...Int64.max),
                orders: try container.decode([OrderCopy].self, forKey: .orders, maxCount: CustodyCopies.ordersPerBuyerMax))
        }
    }

    /// One order as a guardian keeps it.
    public struct OrderCopy: Sendable, Codable, Equatable {
        public var id: String
        public var key: String?
        public var status: OrderStatus

        public init(_ order: Order) {
            id = order.id.description
            key = order.idempotencyKey
            status = order.status
        }

        private enum CodingKeys: String, CodingKey { case id, key, status }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id, maxBytes: 200)
            key = try container.decodeIfPresent(String.self, forKey: .key).map { key in
                guard key.utf8.count <= 255 else {
                    throw DecodingError.dataCorruptedError(forKey: .key, in: container, debugDescription: "key too long")
                }
                return key
            }
            status = try container.decode(OrderStatus.self, forKey: .status)
        }

        /// The order, for `user` of `sale`; nil when the id is not an order id.
        public func order(user: String, sale: String) -> Order? {
            OrderID(id).map { Order(id: $0, saleID: sale, userID: user, status: status, idempotencyKey: key) }
        }
    }

    /// Buyers in one message at most (`Custody.maxBuyersPerMessage`), and orders per buyer (their own and those they
    /// hold at retired units, each within the sale's limit).
    public static let buyersMax = Custody.maxBuyersPerMessage
    public static let ordersPerBuyerMax = 2 * SaleTerms.perUserLimitMax

    public var retired: [NodeID]
    public var buyers: [Buyer]

    public init(_ message: CustodyMessage) {
        retired = message.view.retired
        buyers = message.buyers.map { Buyer(user: $0.user, version: $0.version, orders: $0.orders.map(OrderCopy.init)) }
    }

    private enum CodingKeys: String, CodingKey { case retired, buyers }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        retired = try container.decode([NodeID].self, forKey: .retired, maxCount: WireBounds.entriesMax)
        buyers = try container.decode([Buyer].self, forKey: .buyers, maxCount: Self.buyersMax)
    }

    /// The message under the view of `owners` with these units retired; nil when that is no view or an order id is
    /// not one.
    public func message(sale: String, owners: [NodeID]) -> CustodyMessage? {
        guard let view = CustodyView(owners: owners, retired: retired) else { return nil }
        var converted: [CustodyMessage.Buyer] = []
        for buyer in buyers {
            let orders = buyer.orders.compactMap { $0.order(user: buyer.user, sale: sale) }
            guard orders.count == buyer.orders.count else { return nil }
            converted.append(CustodyMessage.Buyer(user: buyer.user, version: buyer.version, orders: orders))
        }
        return CustodyMessage(sale: sale, view: view, buyers: converted)
    }
}

/// A guardian's answer to copies: `accepted`, or `refused` with why (`CustodyRefusal`) and its view's number.
public struct CustodyCopiesAnswer: Sendable, Codable, Equatable {
    public var verdict: String
    public var reason: String?
    public var view: Int?

    public init(_ verdict: CustodyVerdict) {
        switch verdict {
        case .accepted:
            self.verdict = "accepted"
        case .refused(let refusal):
            self.verdict = "refused"
            switch refusal {
            case .senderBehind(let current):
                reason = "sender-behind"
                view = current.number
            case .guardianBehind: reason = "guardian-behind"
            case .notGuardian: reason = "not-guardian"
            case .unknownSale: reason = "unknown-sale"
            }
        }
    }

    public var isAccepted: Bool { verdict == "accepted" }
}

/// A retired unit's question to the unit that now serves some of its buyers: which of these orders it holds copies of.
public struct CustodyHeldQuestion: Sendable, Codable, Equatable {
    public var orders: [String]

    public init(orders: [OrderID]) { self.orders = orders.map(\.description) }

    private enum CodingKeys: String, CodingKey { case orders }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        orders = try container.decode([String].self, forKey: .orders, maxCount: WireBounds.entriesMax)
        guard orders.allSatisfy({ $0.utf8.count <= 200 }) else {
            throw DecodingError.dataCorruptedError(forKey: .orders, in: container, debugDescription: "an order id is too long")
        }
    }
}

/// The answer: the orders held (nil while the asker is not retired in the answering unit's view).
public struct CustodyHeldAnswer: Sendable, Codable, Equatable {
    public var held: [String]?

    public init(held: [OrderID]?) { self.held = held?.map(\.description) }

    private enum CodingKeys: String, CodingKey { case held }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        held = try container.decodeIfPresent([String].self, forKey: .held)
        guard (held?.count ?? 0) <= WireBounds.entriesMax else {
            throw DecodingError.dataCorruptedError(forKey: .held, in: container, debugDescription: "too many orders")
        }
    }
}
