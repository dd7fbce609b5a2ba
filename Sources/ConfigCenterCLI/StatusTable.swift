// The status of a sale as the operator reads it in a terminal.

import FlashSaleAPI
import Foundation

enum StatusTable {
    static func render(_ status: SaleStatus, now: Date = Date()) -> String {
        let header = """
            sale \(status.sale) "\(status.title)"  \(status.state)  \(Table.time(status.startsAt)) -> \(Table.time(status.endsAt))  limit \(status.perUserLimit)/buyer
            stock \(status.minted)  at config-center \(status.atCenter)  orders held \(status.sold)
            """
        let rows = status.units.map { unit in
            [
                unit.unit, unit.region, "\(unit.allocated)", "\(unit.receivedFromUnits - unit.givenToUnits)",
                "\(unit.rightsHeld)", "\(unit.sold)", "\(unit.orders)", unit.demandPerSecond.map { "\($0)" } ?? "-",
                Table.age(unit.lastSeen, now: now),
            ]
        }
        let total = [
            "TOTAL", "", "\(status.units.reduce(0) { $0 + $1.allocated })", "",
            "\(status.units.reduce(0) { $0 + $1.rightsHeld })", "\(status.units.reduce(0) { $0 + $1.sold })",
            "\(status.units.reduce(0) { $0 + $1.orders })", "", "",
        ]
        return header + "\n\n"
            + Table(
                ["UNIT", "REGION", "ALLOCATED", "REBALANCED", "RIGHTS HELD", "SOLD", "ORDERS", "DEMAND/S", "LAST SEEN"], rows + [total]
            ).render()
    }
}
