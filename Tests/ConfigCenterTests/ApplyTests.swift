// POST /v1/apply: a declarative cluster document brought into effect in one transaction, idempotently.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing

@Suite("Apply")
struct ApplyTests {
    static func document(
        stock: Int64 = 100, percentages: [String: Int] = ["eu": 60, "us": 40], units: [UnitSpec]? = nil,
        regions: [RegionSpec]? = nil, sale: SaleSpec? = nil, keepExistingWindow: Bool? = nil
    ) -> ClusterDocument {
        ClusterDocument(
            regions: regions ?? [RegionSpec(id: "eu", endpoint: "https://eu.example.test"), RegionSpec(id: "us")],
            units: units ?? [
                UnitSpec(id: "eu-1", region: "eu", url: "http://10.0.0.1:8080"),
                UnitSpec(id: "eu-2", region: "eu", url: "http://10.0.0.2:8080"),
                UnitSpec(id: "us-1", region: "us", url: "http://10.0.1.1:8080"),
            ],
            sales: [
                DeclaredSale(
                    sale: sale ?? saleSpec("s1", stock: stock), allocation: AllocationSpec(percentages: percentages),
                    keepExistingWindow: keepExistingWindow)
            ])
    }

    func apply(_ center: CenterClient, _ document: ClusterDocument) async throws -> ApplyResult {
        try center.ok(ApplyResult.self, try await center.post("/v1/apply", document))
    }

    @Test("apply creates regions, units and sales and allocates percentages of the stock")
    func createsEverything() async throws {
        try await withCenter { center in
            let result = try await apply(center, Self.document())
            #expect(result.version == (try await center.version()))
            #expect(result.changes == [
                "region eu: set", "region us: set",
                "unit eu-1: set in region eu", "unit eu-2: set in region eu", "unit us-1: set in region us",
                "sale s1: created", "sale s1: 100 stock minted",
                "sale s1: granted 30 to eu-1", "sale s1: granted 30 to eu-2", "sale s1: granted 40 to us-1",
            ])
            #expect(try await center.regions() == [RegionSpec(id: "eu", endpoint: "https://eu.example.test"), RegionSpec(id: "us")])
            #expect(try await center.units().map(\.id) == ["eu-1", "eu-2", "us-1"])
            let status = try await center.status("s1")
            #expect(status.minted == 100)
            #expect(status.atCenter == 0)
            #expect(status.allocations == ["eu-1": 30, "eu-2": 30, "us-1": 40])
        }
    }

    @Test("applying the same document twice changes nothing the second time")
    func idempotent() async throws {
        try await withCenter { center in
            let first = try await apply(center, Self.document(percentages: ["eu": 45, "us": 35]))
            #expect(!first.changes.isEmpty)
            let before = try await center.snapshot()
            let second = try await apply(center, Self.document(percentages: ["eu": 45, "us": 35]))
            #expect(second.changes == [])
            #expect(second.version == first.version)
            #expect(try await center.snapshot() == before)
            #expect(try await center.status("s1").atCenter == 20)
        }
    }

    @Test("a larger declared stock restocks and tops up each region to its share; new units share only new stock")
    func largerStockRestocks() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document(stock: 100))
            let units = [
                UnitSpec(id: "eu-1", region: "eu", url: "http://10.0.0.1:8080"),
                UnitSpec(id: "eu-2", region: "eu", url: "http://10.0.0.2:8080"),
                UnitSpec(id: "eu-3", region: "eu", url: "http://10.0.0.3:8080"),
                UnitSpec(id: "us-1", region: "us", url: "http://10.0.1.1:8080"),
            ]
            let result = try await apply(center, Self.document(stock: 200, units: units))
            #expect(result.changes.contains("sale s1: restocked by 100"))
            #expect(result.changes.contains("unit eu-3: set in region eu"))
            let status = try await center.status("s1")
            #expect(status.minted == 200)
            #expect(status.atCenter == 0)
            // eu goes from 60 to 120: its 60 new are split over its three units; us from 40 to 80.
            #expect(status.allocations == ["eu-1": 50, "eu-2": 50, "eu-3": 20, "us-1": 80])
        }
    }

    @Test("a smaller declared stock is refused with 409 conflict and the whole document is rolled back")
    func smallerStockRefused() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document(stock: 100))
            var document = Self.document(stock: 90, percentages: ["eu": 50, "us": 40, "ap": 10])
            document.regions?.append(RegionSpec(id: "ap"))
            document.units?.append(UnitSpec(id: "ap-1", region: "ap", url: "http://10.0.2.1:8080"))
            let problem = try await center.expectRefused(.conflict) { try await center.post("/v1/apply", document) }
            #expect(problem.detail?.contains("100") == true)
            #expect(try await center.regions().map(\.id) == ["eu", "us"])
            #expect(try await center.units().map(\.id) == ["eu-1", "eu-2", "us-1"])
            #expect(try await center.status("s1").minted == 100)
        }
    }

    @Test("a declared allocation below what a region already holds is refused; nothing is applied")
    func allocationBelowCurrent() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document(stock: 100, percentages: ["eu": 60]))
            var document = Self.document(stock: 100, percentages: ["eu": 50, "us": 10])
            document.regions?.append(RegionSpec(id: "ap"))
            try await center.expectRefused(.conflict) { try await center.post("/v1/apply", document) }
            #expect(try await center.regions().map(\.id) == ["eu", "us"])
        }
    }

    @Test("a declared allocation larger than what the center holds is refused with allocation-exceeds-stock")
    func allocationExceedsHeld() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document(stock: 100, percentages: ["eu": 50]))
            // The operator gave us 40 by hand; the file now wants eu at 70 (20 more), but only 10 are left.
            try await center.allocate("s1", AllocationSpec(counts: ["us": 40]))
            let problem = try await center.expectRefused(.allocationExceedsStock) {
                try await center.post("/v1/apply", Self.document(stock: 100, percentages: ["eu": 70]))
            }
            #expect(problem.detail == "asked for 20, the config-center holds 10 of this sale")
        }
    }

    @Test("keepExistingWindow keeps the window of an existing sale; without it the window moves")
    func keepExistingWindow() async throws {
        try await withCenter { center in
            let original = saleSpec("s1", startsAt: Fixed.at(60), endsAt: Fixed.at(660))
            _ = try await apply(center, Self.document(sale: original, keepExistingWindow: true))
            #expect(try await center.status("s1").startsAt == Fixed.at(60), "a new sale takes the declared window")

            let moved = saleSpec("s1", startsAt: Fixed.at(120), endsAt: Fixed.at(720))
            let kept = try await apply(center, Self.document(sale: moved, keepExistingWindow: true))
            #expect(kept.changes == [])
            var status = try await center.status("s1")
            #expect(status.startsAt == Fixed.at(60))
            #expect(status.endsAt == Fixed.at(660))

            // Other terms still follow the file.
            var retitled = moved
            retitled.title = "Phone, second batch"
            let updated = try await apply(center, Self.document(sale: retitled, keepExistingWindow: true))
            #expect(updated.changes == ["sale s1: terms updated"])
            status = try await center.status("s1")
            #expect(status.title == "Phone, second batch")
            #expect(status.startsAt == Fixed.at(60))

            let result = try await apply(center, Self.document(sale: retitled))
            #expect(result.changes == ["sale s1: terms updated"])
            status = try await center.status("s1")
            #expect(status.startsAt == Fixed.at(120))
            #expect(status.endsAt == Fixed.at(720))
        }
    }

    @Test("an invalid document is refused before anything is written")
    func invalidDocument() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document())
            var badRegion = Self.document()
            badRegion.regions?.append(RegionSpec(id: "AP"))
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/apply", badRegion) }

            var badUnit = Self.document()
            badUnit.units?.append(UnitSpec(id: "center", region: "eu"))
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/apply", badUnit) }

            let badSale = Self.document(sale: saleSpec("s2", perUserLimit: 0))
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/apply", badSale) }

            var both = Self.document()
            both.sales?[0].allocation = AllocationSpec(counts: ["eu": 1], percentages: ["us": 1])
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/apply", both) }

            try await center.expectRefused(.invalidAllocation) {
                try await center.post("/v1/apply", Self.document(percentages: ["eu": 70, "us": 40]))
            }
        }
    }

    @Test("a unit in a region neither declared nor known rolls the document back with unknown-region")
    func unitInUnknownRegion() async throws {
        try await withCenter { center in
            var document = Self.document()
            document.units?.append(UnitSpec(id: "ap-1", region: "ap"))
            try await center.expectRefused(.unknownRegion) { try await center.post("/v1/apply", document) }
            #expect(try await center.regions().isEmpty)
            #expect(try await center.sales().isEmpty)
            #expect(try await center.version() == 0)
        }
    }

    @Test("a unit declared in another region than it belongs to rolls the document back with conflict")
    func unitMovedByDocument() async throws {
        try await withCenter { center in
            _ = try await apply(center, Self.document())
            let units = [
                UnitSpec(id: "eu-1", region: "us", url: "http://10.0.0.1:8080"),
                UnitSpec(id: "us-1", region: "us", url: "http://10.0.1.1:8080"),
            ]
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/apply", Self.document(stock: 150, units: units))
            }
        }
    }

    @Test("allocating an ended sale through apply is refused with conflict; an apply granting nothing is fine")
    func endedSale() async throws {
        try await withCenter { center in
            let spec = saleSpec("s1", startsAt: Fixed.at(-60), endsAt: Fixed.at(60))
            _ = try await apply(center, Self.document(sale: spec))
            center.clock.advance(seconds: 120)
            // Same file again: nothing to grant, so no refusal.
            #expect(try await apply(center, Self.document(sale: spec)).changes == [])
            var larger = spec
            larger.stock = 200
            try await center.expectRefused(.conflict) { try await center.post("/v1/apply", Self.document(sale: larger)) }
            #expect(try await center.status("s1").minted == 100)
        }
    }

    @Test("apply does not restock an ended sale, just as POST /restock does not")
    func noRestockOfEndedSale() async throws {
        try await withCenter { center in
            var document = Self.document(sale: saleSpec("s1", stock: 100, startsAt: Fixed.at(-60), endsAt: Fixed.at(60)))
            document.sales?[0].allocation = nil
            _ = try await apply(center, document)
            center.clock.advance(seconds: 120)
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/sales/s1/restock", RestockSpec(amount: 100))
            }
            document.sales?[0].sale.stock = 200
            let before = try await center.snapshot()
            let response = try await center.post("/v1/apply", document)
            let after = try await center.snapshot()
            try center.expectProblem(response, .conflict)
            #expect(after == before)
        }
    }

    @Test("counts in a document are totals per region, topped up")
    func countsAreTotals() async throws {
        try await withCenter { center in
            var document = Self.document(stock: 50)
            document.sales?[0].allocation = AllocationSpec(counts: ["eu": 11])
            _ = try await apply(center, document)
            #expect(try await center.status("s1").allocations == ["eu-1": 6, "eu-2": 5])
            document.sales?[0].allocation = AllocationSpec(counts: ["eu": 14, "us": 3])
            let result = try await apply(center, document)
            #expect(result.changes == ["sale s1: granted 2 to eu-1", "sale s1: granted 1 to eu-2", "sale s1: granted 3 to us-1"])
            let status = try await center.status("s1")
            #expect(status.allocations == ["eu-1": 8, "eu-2": 6, "us-1": 3])
            #expect(status.atCenter == 33)
        }
    }
}
