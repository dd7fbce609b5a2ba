// Sales: creation mints the stock at the center; re-creation is idempotent; bad terms and bodies are refused;
// restock mints more.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing

@Suite("Sales and restock")
struct SaleTests {
    @Test("creating a sale mints its stock at the center")
    func create() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            let before = try await center.version()
            let spec = saleSpec("s1", title: "Phone X", stock: 1000, perUserLimit: 2)
            let status = try await center.createSale(spec)
            #expect(status.sale == "s1")
            #expect(status.title == "Phone X")
            #expect(status.state == "open")
            #expect(status.startsAt == spec.startsAt)
            #expect(status.endsAt == spec.endsAt)
            #expect(status.perUserLimit == 2)
            #expect(status.minted == 1000)
            #expect(status.atCenter == 1000)
            #expect(status.sold == 0)
            #expect(status.units.map(\.unit) == ["eu-1"])
            #expect(status.unit("eu-1")?.allocated == 0)
            #expect(status.unit("eu-1")?.rightsHeld == 0)
            #expect(try await center.version() == before + 1)

            // The same status under both paths and in the list.
            let byID = try center.ok(SaleStatus.self, try await center.get("/v1/sales/s1"))
            #expect(byID == status)
            #expect(try await center.status("s1") == status)
            #expect(try await center.sales() == [status])

            // Units learn it through the config: the terms and the center's row.
            let sale = try #require(try await center.config().sales.first)
            #expect(sale.terms == SaleTerms(
                id: "s1", title: "Phone X", startsAtMs: Fixed.nowMs - 60_000, endsAtMs: Fixed.nowMs + 3_600_000,
                perUserLimit: 2))
            #expect(sale.centerRow == LedgerRow(minted: 1000))
        }
    }

    @Test("the state follows the window: scheduled, open, ended")
    func stateFollowsWindow() async throws {
        try await withCenter { center in
            try await center.createSale(saleSpec("later", startsAt: Fixed.at(60), endsAt: Fixed.at(120)))
            #expect(try await center.status("later").state == "scheduled")
            center.clock.advance(seconds: 60)
            #expect(try await center.status("later").state == "open")
            center.clock.advance(seconds: 60)
            #expect(try await center.status("later").state == "ended")
        }
    }

    @Test("creating the same sale again is a no-op answered 201 with the same status")
    func identicalRecreate() async throws {
        try await withCenter { center in
            let first = try await center.createSale(saleSpec(stock: 50))
            let before = try await center.snapshot()
            let again = try await center.createSale(saleSpec(stock: 50))
            #expect(again == first)
            #expect(try await center.snapshot() == before)
        }
    }

    @Test(
        "the same id with other settings is refused with already-exists",
        arguments: [
            saleSpec(title: "Other title"),
            saleSpec(stock: 101),
            saleSpec(stock: 99),
            saleSpec(perUserLimit: 3),
            saleSpec(startsAt: Fixed.at(-120)),
            saleSpec(endsAt: Fixed.at(7200)),
        ])
    func otherSettings(spec: SaleSpec) async throws {
        try await withCenter { center in
            let original = try await center.createSale(saleSpec())
            try await center.expectRefused(.alreadyExists) { try await center.post("/v1/sales", spec) }
            #expect(try await center.status("s1") == original)
        }
    }

    @Test(
        "invalid terms are refused with invalid-input and nothing is created",
        arguments: [
            ("end before start", saleSpec(startsAt: Fixed.at(100), endsAt: Fixed.at(50))),
            ("end equals start", saleSpec(startsAt: Fixed.at(100), endsAt: Fixed.at(100))),
            ("per-user limit 0", saleSpec(perUserLimit: 0)),
            ("per-user limit above 100", saleSpec(perUserLimit: 101)),
            ("stock 0", saleSpec(stock: 0)),
            ("negative stock", saleSpec(stock: -5)),
            ("stock above the maximum", saleSpec(stock: CenterStore.stockMax + 1)),
            ("upper-case id", saleSpec("Sale-1")),
            ("empty id", saleSpec("")),
            ("id with a slash", saleSpec("a/b")),
            ("empty title", saleSpec(title: "")),
            ("title too long", saleSpec(title: String(repeating: "x", count: 201))),
            ("start before 1970", saleSpec(startsAt: Date(timeIntervalSince1970: -10), endsAt: Fixed.at(10))),
            ("payment window 0", { var spec = saleSpec(); spec.paymentWindowSeconds = 0; return spec }()),
            ("payment window above a day", { var spec = saleSpec(); spec.paymentWindowSeconds = 86_401; return spec }()),
            ("payment window that would overflow", { var spec = saleSpec(); spec.paymentWindowSeconds = .max; return spec }()),
        ])
    func invalidTerms(label: String, spec: SaleSpec) async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/sales", spec) }
            #expect(try await center.sales().isEmpty, "\(label)")
            #expect(try await center.config().sales.isEmpty, "\(label)")
        }
    }

    @Test("the payment window reaches units in milliseconds; without one the terms carry none (15 minutes)")
    func paymentWindow() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            var spec = saleSpec("s1")
            spec.paymentWindowSeconds = 120
            try await center.createSale(spec)
            try await center.createSale(saleSpec("s2"))
            let terms = try await center.config().sales.map(\.terms)
            #expect(terms.first { $0.id == "s1" }?.paymentWindowMs == 120_000)
            #expect(terms.first { $0.id == "s2" }?.paymentWindowMs == nil)
        }
    }

    @Test("an unknown sale is answered 404 unknown-sale on every route")
    func unknownSale() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1"))
            try await center.expectRefused(.unknownSale) { try await center.get("/v1/sales/nope") }
            try await center.expectRefused(.unknownSale) { try await center.get("/v1/sales/nope/status") }
            try await center.expectRefused(.unknownSale) {
                try await center.post("/v1/sales/nope/allocations", AllocationSpec(counts: ["eu": 1]))
            }
            try await center.expectRefused(.unknownSale) {
                try await center.post("/v1/sales/nope/restock", RestockSpec(amount: 10))
            }
            let problem = try center.expectProblem(try await center.get("/v1/sales/nope"), .unknownSale)
            #expect(problem.detail == "sale 'nope' does not exist")
        }
    }

    @Test(
        "a malformed JSON body is refused with invalid-input and changes nothing",
        arguments: [
            ("/v1/sales", "{not json"),
            ("/v1/sales", #"{"id":"s2","title":"t","stock":10}"#),
            ("/v1/sales", #"{"id":"s2","title":"t","stock":"ten","startsAt":"2025-06-15T15:06:40Z","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1}"#),
            ("/v1/sales", #"{"id":"s2","title":"t","stock":10,"startsAt":"yesterday","endsAt":"2025-06-15T16:06:40Z","perUserLimit":1}"#),
            ("/v1/sales", ""),
            ("/v1/regions", "[]"),
            ("/v1/units", #"{"id":"eu-9"}"#),
            ("/v1/sales/s1/allocations", #"{"counts":{"eu":"five"}}"#),
            ("/v1/sales/s1/restock", #"{"amount":1.5}"#),
            ("/v1/apply", #"{"regions":{"id":"x"}}"#),
            ("/v1/units/eu-1/report", #"{"unit":"eu-1"}"#),
        ])
    func malformedBody(uri: String, body: String) async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec("s1"))
            try await center.expectRefused(.invalidInput) { try await center.post(uri, raw: body) }
        }
    }

    @Test("restock raises minted and what the center holds")
    func restock() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 30]))
            let version = try await center.version()

            let status = try center.ok(
                SaleStatus.self, try await center.post("/v1/sales/s1/restock", RestockSpec(amount: 50)))
            #expect(status.minted == 150)
            #expect(status.atCenter == 120)
            #expect(status.unit("eu-1")?.allocated == 30)
            #expect(try await center.status("s1") == status)
            #expect(try await center.version() == version + 1)
            #expect(try await center.config().sales.first?.centerRow.minted == 150)

            // The new stock can be allocated.
            let after = try await center.allocate("s1", AllocationSpec(counts: ["eu": 120]))
            #expect(after.atCenter == 0)
            #expect(after.unit("eu-1")?.allocated == 150)
        }
    }

    @Test("a restock of 0, a negative amount or beyond the maximum stock is refused with invalid-input",
          arguments: [Int64(0), -5, CenterStore.stockMax])
    func restockInvalid(amount: Int64) async throws {
        try await withCenter { center in
            try await center.createSale(saleSpec(stock: 100))
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/sales/s1/restock", RestockSpec(amount: amount))
            }
            #expect(try await center.status("s1").minted == 100)
        }
    }

    @Test("an ended sale is not restocked: 409 conflict")
    func restockEnded() async throws {
        try await withCenter { center in
            try await center.createSale(saleSpec(stock: 100))
            center.clock.advance(seconds: 3600)
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/sales/s1/restock", RestockSpec(amount: 10))
            }
        }
    }
}
