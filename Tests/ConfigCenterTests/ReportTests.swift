// Unit reports: an enrolled unit's signed heartbeat records when it was seen and merges its own ledger rows.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing

@Suite("Unit reports")
struct ReportTests {
    func report(
        _ unit: String, region: String = "eu", url: String? = nil, configVersion: Int64 = 0,
        sales: [String: LedgerRow] = [:]
    ) -> UnitReport {
        UnitReport(
            unit: unit, region: region, url: url ?? "http://127.0.0.1:8000/\(unit)", configVersion: configVersion,
            sales: sales)
    }

    @Test("an enrolled unit's signed report records when it was seen; it changes no URL and no configuration")
    func enrolledUnitReports() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.addUnit("eu-9", region: "eu", url: "http://10.0.0.9:8080")
            let version = try await center.version()
            let unit = try center.ok(
                UnitSpec.self,
                try await center.post("/v1/units/eu-9/report", report("eu-9", url: "http://10.0.0.66:8080", configVersion: version)))
            #expect(unit.id == "eu-9" && unit.region == "eu")
            #expect(unit.url == "http://10.0.0.9:8080", "a unit's URL changes only through an operator")
            #expect(unit.lastSeen == Fixed.now)
            #expect(try await center.version() == version, "a heartbeat is no change units must learn")

            center.clock.advance(seconds: 5)
            let again = try center.ok(UnitSpec.self, try await center.post("/v1/units/eu-9/report", report("eu-9", configVersion: version)))
            #expect(again.lastSeen == Fixed.at(5))
        }
    }

    @Test("a report of a unit nobody enrolled is refused with unauthorized and registers nothing")
    func notEnrolled() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.expectRefused(.unauthorized) {
                try await center.post("/v1/units/eu-1/report", report("eu-1"))
            }
            // Declared without a key: still not enrolled.
            _ = try await center.post("/v1/units", UnitSpec(id: "eu-2", region: "eu", url: "http://10.0.0.2:8080"))
            try await center.expectRefused(.unauthorized) {
                try await center.post("/v1/units/eu-2/report", report("eu-2"))
            }
            #expect(try await center.units().map(\.id) == ["eu-2"])
            #expect(try await center.units().allSatisfy { $0.lastSeen == nil })
        }
    }

    @Test("a report whose unit differs from the URL is refused with invalid-input")
    func pathBodyMismatch() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.addUnit("eu-1", region: "eu")
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/units/eu-1/report", report("eu-2"))
            }
            #expect(try await center.units().map(\.id) == ["eu-1"])
        }
    }

    @Test("a report with an invalid url is refused with invalid-input")
    func invalidReport() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/units/eu-1/report", report("eu-1", url: "ftp://10.0.0.1"))
            }
            // "center" is no unit: nobody can be enrolled as it, so its report is not even read.
            try await center.expectRefused(.unauthorized) {
                try await center.post("/v1/units/center/report", report("center"))
            }
        }
    }

    @Test("a report from a unit of another region is refused with 409 conflict")
    func reportFromOtherRegion() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"], "us": []])
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/units/eu-1/report", report("eu-1", region: "us"))
            }
        }
    }

    @Test("the unit's ledger row is merged: status shows sold, orders and rights held")
    func mergesLedgerRow() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 20]))
            let version = try await center.version()

            _ = try center.ok(
                UnitSpec.self,
                try await center.post(
                    "/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 4, released: 1)])))
            let status = try await center.status("s1")
            let line = try #require(status.unit("eu-1"))
            #expect(line.allocated == 10)
            #expect(line.sold == 4)
            #expect(line.orders == 3)
            #expect(line.rightsHeld == 7)
            #expect(line.lastSeen == Fixed.now)
            #expect(status.sold == 3)
            #expect(status.minted == 100)
            #expect(status.atCenter == 80)
            #expect(status.unit("eu-2")?.sold == 0)
            #expect(status.unit("eu-2")?.rightsHeld == 10)
            // Unit counters are not configuration: the version does not move.
            #expect(try await center.version() == version)
        }
    }

    @Test("a stale report never lowers what was recorded; a newer one raises it")
    func staleReport() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            _ = try await center.post("/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 6, released: 2)]))
            let recorded = try #require(try await center.status("s1").unit("eu-1"))
            #expect(recorded.sold == 6 && recorded.orders == 4 && recorded.rightsHeld == 6)

            // Reordered heartbeat: lower counters.
            let stale = try await center.post(
                "/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 3, released: 0)]))
            #expect(stale.status == .ok)
            let afterStale = try #require(try await center.status("s1").unit("eu-1"))
            #expect(afterStale.sold == 6)
            #expect(afterStale.orders == 4)
            #expect(afterStale.rightsHeld == 6)

            // Each entry is merged on its own (pointwise max).
            _ = try await center.post("/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 5, released: 3)]))
            let merged = try #require(try await center.status("s1").unit("eu-1"))
            #expect(merged.sold == 6)
            #expect(merged.orders == 3)
            #expect(merged.rightsHeld == 7)

            _ = try await center.post("/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 9, released: 3)]))
            let newer = try await center.status("s1")
            #expect(newer.unit("eu-1")?.sold == 9)
            #expect(newer.unit("eu-1")?.orders == 6)
            #expect(newer.unit("eu-1")?.rightsHeld == 4)
            #expect(newer.sold == 6)
        }
    }

    @Test("a unit's return of rights to the center is merged and can be allocated again")
    func returnToCenter() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"], "us": ["us-1"]])
            try await center.createSale(saleSpec(stock: 10))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            _ = try await center.post(
                "/v1/units/eu-1/report",
                report("eu-1", sales: ["s1": LedgerRow(grantedTo: ["center": 4], consumed: 6)]))
            let status = try await center.status("s1")
            #expect(status.atCenter == 4)
            #expect(status.unit("eu-1")?.rightsHeld == 0)
            let after = try await center.allocate("s1", AllocationSpec(counts: ["us": 4]))
            #expect(after.unit("us-1")?.allocated == 4)
            #expect(after.atCenter == 0)
        }
    }

    @Test("rows of sales the center does not know are ignored")
    func unknownSaleInReport() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 10))
            let before = try await center.sales()
            let response = try await center.post(
                "/v1/units/eu-1/report", report("eu-1", sales: ["ghost": LedgerRow(consumed: 3)]))
            #expect(response.status == .ok)
            #expect(try await center.sales().map(\.sale) == before.map(\.sale))
            try center.expectProblem(try await center.get("/v1/sales/ghost"), .unknownSale)
        }
    }

    // MARK: Rows no unit can write

    @Test("a unit's report cannot mint stock")
    func reportCannotMint() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let response = try await center.post(
                "/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(minted: 1000, consumed: 1)]))
            let status = try await center.status("s1")
            // Either refused, or the minted entry ignored; never more stock than the center minted.
            #expect(response.status == .badRequest || status.minted == 100)
            #expect(status.unit("eu-1")?.rightsHeld ?? 0 <= 10)
        }
    }

    @Test("a report that sold more than the unit was granted is refused and changes nothing")
    func soldMoreThanGranted() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let before = try await center.snapshot()
            let response = try await center.post(
                "/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 11)]))
            try center.expectProblem(response, .conflict)
            #expect(try await center.snapshot() == before)
            let fine = try await center.post("/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 10)]))
            #expect(fine.status == .ok)
            #expect(try await center.status("s1").unit("eu-1")?.rightsHeld == 0)
        }
    }

    @Test("a report with more returned than sold is refused with invalid-input, not a 500")
    func releasedAboveConsumed() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            let before = try await center.snapshot()
            let response = try await center.post(
                "/v1/units/eu-1/report", report("eu-1", sales: ["s1": LedgerRow(consumed: 1, released: 5)]))
            #expect(try await center.snapshot() == before, "the database's CHECK keeps the row out")
            try center.expectProblem(response, .invalidInput)
        }
    }
}

@Suite("Unit reports near Int64.max")
struct ReportOverflowTests {
    static func report(_ row: String) -> String {
        #"{"unit":"eu-1","region":"eu","url":"http://127.0.0.1:8000/eu-1","configVersion":0,"sales":{"s1":"#
            + row + "}}"
    }

    @Test("a report granting Int64.max to the center does not make every later status read crash")
    func grantToCenterOverflow() async {
        // Control: 200 less and the center's rights (100 minted - 10 granted + what it received) still fit.
        await expectSurvives([
            ["POST", "/v1/units/eu-1/report", Self.report(#"{"minted":0,"grantedTo":{"center":9223372036854775607},"consumed":0,"released":0}"#)],
            ["GET", "/v1/sales/s1/status"], ["GET", "/v1/sales"],
        ])
        await expectSurvives([
            ["POST", "/v1/units/eu-1/report", Self.report(#"{"minted":0,"grantedTo":{"center":9223372036854775807},"consumed":0,"released":0}"#)],
            ["GET", "/v1/sales/s1/status"], ["GET", "/v1/sales"],
        ])
    }

    @Test("a report with minted near Int64.max does not make every later status read crash")
    func mintedOverflow() async {
        // Control: 200 less and the total minted (this plus the center's 100) still fits.
        await expectSurvives([
            ["POST", "/v1/units/eu-1/report", Self.report(#"{"minted":9223372036854775607,"grantedTo":{},"consumed":0,"released":0}"#)],
            ["GET", "/v1/sales"],
        ])
        await expectSurvives([
            ["POST", "/v1/units/eu-1/report", Self.report(#"{"minted":9223372036854775807,"grantedTo":{},"consumed":0,"released":0}"#)],
            ["GET", "/v1/sales"],
        ])
    }
}
