// What an operator decides about a sale, apart from its stock: the window, the per-user limit, the buyer filters.

/// The rules of one sale that every unit enforces. Times are milliseconds since the Unix epoch, so the core
/// never reads a clock: callers pass `now`.
public struct SaleTerms: Sendable, Hashable, Codable {
    /// Largest per-user limit accepted: a flash sale sells a few units to each of many buyers.
    public static let perUserLimitMax = 100
    /// Longest title accepted, in UTF-8 bytes.
    public static let titleMaxBytes = 200

    public var id: String
    public var title: String
    public var startsAtMs: Int64
    public var endsAtMs: Int64
    /// Orders one user may hold (reserved or paid) across the cluster.
    public var perUserLimit: Int
    /// The buyer filters of this sale; nil (as in configurations saved before filters existed) means open.
    public var admission: AdmissionRules?
    /// How long a buyer has to pay a reserved order before it expires and its stock is sold again; nil means
    /// `paymentWindowMsDefault`.
    public var paymentWindowMs: Int64?

    /// Set by the operator to stop selling for a while within the window (nil or false: selling).
    public var paused: Bool?

    /// Payment window when a sale sets none: long enough to pay, short enough to resell within the sale.
    public static let paymentWindowMsDefault: Int64 = 15 * 60_000
    /// Payment windows accepted: a second (for rehearsals) to a day.
    public static let paymentWindowMsRange: ClosedRange<Int64> = 1_000...86_400_000

    public init(
        id: String, title: String, startsAtMs: Int64, endsAtMs: Int64, perUserLimit: Int,
        admission: AdmissionRules? = nil, paymentWindowMs: Int64? = nil
    ) {
        self.id = id
        self.title = title
        self.startsAtMs = startsAtMs
        self.endsAtMs = endsAtMs
        self.perUserLimit = perUserLimit
        self.admission = admission == .open ? nil : admission
        self.paymentWindowMs = paymentWindowMs
    }

    /// When a reserved order taken at `createdAtMs` expires unless paid.
    public func paymentDeadlineMs(forOrderAt createdAtMs: Int64) -> Int64 {
        let (deadline, overflow) = createdAtMs.addingReportingOverflow(paymentWindowMs ?? Self.paymentWindowMsDefault)
        return overflow ? .max : deadline
    }

    /// The filters in force: the open rules when none are set.
    public var rules: AdmissionRules { admission ?? .open }

    /// The first rule the terms break, or nil when they are valid.
    public var violation: String? {
        if !IdentifierRule.isValidID(id) {
            return "sale id must be 1-\(IdentifierRule.idMaxLength) characters of a-z, 0-9 and '-'"
        }
        if title.isEmpty || title.utf8.count > Self.titleMaxBytes {
            return "title must be 1-\(Self.titleMaxBytes) bytes"
        }
        if startsAtMs < 0 { return "start time must be after 1970" }
        if endsAtMs <= startsAtMs { return "end time must be after the start time" }
        if perUserLimit < 1 || perUserLimit > Self.perUserLimitMax {
            return "per-user limit must be 1-\(Self.perUserLimitMax)"
        }
        if let violation = admission?.violation { return violation }
        if let paymentWindowMs, !Self.paymentWindowMsRange.contains(paymentWindowMs) {
            return "payment window must be 1-86400 seconds"
        }
        return nil
    }

    /// Where the sale stands at `nowMs`.
    public func phase(atMs nowMs: Int64) -> SalePhase {
        if nowMs < startsAtMs { return .scheduled(startsInMs: startsAtMs - nowMs) }
        if nowMs >= endsAtMs { return .ended }
        return paused == true ? .paused : .open
    }
}
