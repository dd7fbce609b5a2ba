// A sale as the operator's dashboard follows it: the status table and where rights moved, one event of the stream.

/// One event of `GET /v1/sales/{sale}/status/stream`. The status alone says how much each unit received and gave;
/// the dashboard also shows between whom, which only the ledger's grant rows tell.
public struct SaleLiveStatus: Sendable, Codable, Equatable {
    public var status: SaleStatus
    /// Every grant total between two nodes that is above zero, sorted by giver then receiver: the config-center's
    /// allocations (`from` "center"), rebalancing between units, and end-of-sale returns (`to` "center").
    public var grants: [GrantFlow]

    public init(status: SaleStatus, grants: [GrantFlow]) {
        self.status = status
        self.grants = grants
    }
}

/// Rights one node has given another over the whole sale (the ledger's `granted[from][to]`; it only grows).
public struct GrantFlow: Sendable, Codable, Equatable {
    public var from: String
    public var to: String
    public var amount: Int64

    public init(from: String, to: String, amount: Int64) {
        self.from = from
        self.to = to
        self.amount = amount
    }
}
