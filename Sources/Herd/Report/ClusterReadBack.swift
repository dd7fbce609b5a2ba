// What the herd read back from the cluster after the crowd: every unit's orders of the sale and the center's account.

import FlashSaleAPI

/// The cluster's own record of the sale, gathered after the run. The checks judge only this and the herd's
/// acknowledged orders, never the herd's impressions of what happened.
struct ClusterReadBack: Codable, Equatable, Sendable {
    /// Orders of the sale in every unit's log, as listed (a duplicate would show here twice).
    var orders: [OrderView]
    /// Units whose whole log was read.
    var unitsRead: [String]
    /// Units whose log could not be read, with the reason.
    var unitsUnread: [String: String]
    /// The config-center's account of the sale (`GET /v1/sales/{sale}/status`), after it caught up with the logs
    /// or gave up waiting.
    var status: SaleStatus
    /// The region of each unit, from the configuration.
    var regionOfUnit: [String: String]

    /// Orders holding stock now (reserved or paid).
    var liveOrders: [OrderView] { orders.filter { $0.status.holdsStock } }

    /// Stock still at units, never allocated: the terms of `config-center report`'s account.
    var atUnits: Int64 { status.units.reduce(0) { $0 + $1.rightsHeld } }
    var neverAllocated: Int64 { status.atCenter - status.returned }
}
