// What a unit tells the config-center about itself at every heartbeat.

public import FlashSaleCore

/// A unit's heartbeat: who and where it is, and its own ledger row per sale (durable values only), which the
/// config-center merges into its view exactly as a gossip peer would.
public struct UnitReport: Sendable, Codable, Equatable {
    public var unit: String
    public var region: String
    public var url: String
    /// The config version the unit runs on.
    public var configVersion: Int64
    public var sales: [String: LedgerRow]
    /// Other units' rows the unit has learned by gossip, per sale, as their owners signed them: grants between
    /// units reach the config-center with whichever side reports first. Kept for enrolled units only, and only under
    /// their owners' signatures (`knownSignatures`): the reporting unit passes them on, it cannot write them.
    public var knownRows: [String: [NodeID: LedgerRow]]?
    /// Each known row's signature by its owner (`RowSignature`, hex), per sale and owner.
    public var knownSignatures: [String: [NodeID: String]]?
    /// The unit's soft state per sale (stock it can promise, demand), shown in the config-center's status.
    public var pulses: [String: Pulse]?
    /// Per sale, the unit's view of who serves its region's buyers and the guardians it still owes copies: the
    /// config-center retires no unit while another owes a copy to anyone else (`RetirementRule`).
    public var custody: [String: CustodyStatus]?

    public init(
        unit: String, region: String, url: String, configVersion: Int64, sales: [String: LedgerRow],
        knownRows: [String: [NodeID: LedgerRow]]? = nil, knownSignatures: [String: [NodeID: String]]? = nil,
        pulses: [String: Pulse]? = nil, custody: [String: CustodyStatus]? = nil
    ) {
        self.custody = custody
        self.knownSignatures = knownSignatures
        self.unit = unit
        self.region = region
        self.url = url
        self.configVersion = configVersion
        self.sales = sales
        self.knownRows = knownRows
        self.pulses = pulses
    }
}

extension UnitReport {
    private enum CodingKeys: String, CodingKey {
        case unit, region, url, configVersion, sales, knownRows, knownSignatures, pulses, custody
    }

    /// Refuses a report with more sales, rows or pulses than a message may carry, or a version out of range; the
    /// rows and pulses check their own numbers (`WireBounds`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let max = WireBounds.entriesMax
        let knownRows = try container.decodeIfPresent([String: [NodeID: LedgerRow]].self, forKey: .knownRows)
        guard (knownRows?.count ?? 0) <= max, knownRows?.values.allSatisfy({ $0.count <= max }) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: .knownRows, in: container, debugDescription: "more than \(max) entries")
        }
        let knownSignatures = try container.decodeIfPresent([String: [NodeID: String]].self, forKey: .knownSignatures)
        guard (knownSignatures?.count ?? 0) <= max,
            knownSignatures?.values.allSatisfy({
                $0.count <= max && $0.values.allSatisfy { $0.utf8.count <= GossipDigest.signatureBytesMax }
            }) ?? true
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .knownSignatures, in: container, debugDescription: "more than \(max) entries, or a signature too long")
        }
        let pulses = try container.decodeIfPresent([String: Pulse].self, forKey: .pulses)
        guard (pulses?.count ?? 0) <= max else {
            throw DecodingError.dataCorruptedError(forKey: .pulses, in: container, debugDescription: "more than \(max) entries")
        }
        let custody = try container.decodeIfPresent([String: CustodyStatus].self, forKey: .custody)
        guard (custody?.count ?? 0) <= max else {
            throw DecodingError.dataCorruptedError(forKey: .custody, in: container, debugDescription: "more than \(max) entries")
        }
        self.init(
            unit: try container.decode(String.self, forKey: .unit, maxBytes: IdentifierRule.idMaxLength),
            region: try container.decode(String.self, forKey: .region, maxBytes: IdentifierRule.idMaxLength),
            url: try container.decode(String.self, forKey: .url, maxBytes: 512),
            configVersion: try container.decode(Int64.self, forKey: .configVersion, in: 0...Int64.max),
            sales: try container.decode([String: LedgerRow].self, forKey: .sales, maxCount: max),
            knownRows: knownRows, knownSignatures: knownSignatures, pulses: pulses, custody: custody)
    }
}

/// A unit's custody of one sale's buyers, as it reports it (`Custody`).
public struct CustodyStatus: Sendable, Codable, Equatable {
    /// The number of the unit's view (`CustodyView.number`: how many owners of its region it knows retired).
    public var view: Int
    /// The guardians that may lack an order the unit acknowledged (`Custody.owedGuardians`), sorted.
    public var owed: [NodeID]
    /// The unit started on a new database after the sale opened: the copies it kept for others are gone.
    public var copiesLost: Bool?

    public init(view: Int, owed: [NodeID], copiesLost: Bool? = nil) {
        self.view = view
        self.owed = owed
        self.copiesLost = copiesLost
    }

    private enum CodingKeys: String, CodingKey { case view, owed, copiesLost }

    /// Bounded: a view number no region reaches, and no more guardians than a message carries entries.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            view: Int(try container.decode(Int64.self, forKey: .view, in: 0...Int64(WireBounds.entriesMax))),
            owed: try container.decode([NodeID].self, forKey: .owed, maxCount: WireBounds.entriesMax),
            copiesLost: try container.decodeIfPresent(Bool.self, forKey: .copiesLost))
    }
}
