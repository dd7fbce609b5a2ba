// Which units own a sale's buyers: the region's units as they were when the sale opened.

import ConfigCenter
import FlashSaleAPI
import Foundation
import Testing

@Suite struct SaleOwnersTests {
    /// A sale's owners follow enrolments until it opens, and are fixed from its start: a unit enrolled later owns no
    /// buyer of it (it would have no record of their orders), but owns the buyers of a sale that opens after it joined.
    @Test func ownersFollowEnrolmentsUntilTheStartAndAreFixedAfter() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"], "us": ["us-1"]])
            try await center.createSale(saleSpec("open"))  // started a minute ago
            try await center.createSale(saleSpec("later", startsAt: Fixed.at(600)))
            func owners(_ sale: String) async throws -> [String: [String]]? {
                try await center.config().sales.first { $0.terms.id == sale }?.owners
            }
            #expect(try await owners("open") == ["eu": ["eu-1"], "us": ["us-1"]])

            try await center.addUnit("eu-2", region: "eu", url: "http://127.0.0.1:8000/eu-2")
            #expect(try await owners("open") == ["eu": ["eu-1"], "us": ["us-1"]], "opened before eu-2 joined")
            #expect(try await owners("later") == ["eu": ["eu-1", "eu-2"], "us": ["us-1"]], "not open yet: follows")

            center.clock.advance(seconds: 700)
            try await center.addUnit("eu-3", region: "eu", url: "http://127.0.0.1:8000/eu-3")
            #expect(try await owners("later") == ["eu": ["eu-1", "eu-2"], "us": ["us-1"]], "fixed at its start")
            try await center.createSale(saleSpec("next", startsAt: Fixed.at(900), endsAt: Fixed.at(5_000)))
            #expect(try await owners("next") == ["eu": ["eu-1", "eu-2", "eu-3"], "us": ["us-1"]])
        }
    }

    /// A region with no unit when a sale opened gets its first units as owners and keeps them; a sale whose start is
    /// moved later once it was open keeps its owners too.
    @Test func emptyRegionsAndAMovedStartKeepTheOwnersFixed() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.addRegion("ap")
            try await center.createSale(saleSpec("open"))
            func owners(_ sale: String) async throws -> [String: [String]]? {
                try await center.config().sales.first { $0.terms.id == sale }?.owners
            }
            #expect(try await owners("open") == ["eu": ["eu-1"]])
            try await center.addUnit("ap-1", region: "ap", url: "http://127.0.0.1:8000/ap-1")
            #expect(try await owners("open") == ["eu": ["eu-1"], "ap": ["ap-1"]], "ap's first unit owns its buyers")
            try await center.addUnit("ap-2", region: "ap", url: "http://127.0.0.1:8000/ap-2")
            #expect(try await owners("open") == ["eu": ["eu-1"], "ap": ["ap-1"]], "and keeps them")

            // An operator's file moves the open sale's start an hour later (keepExistingWindow off): still fixed.
            var moved = saleSpec("open", startsAt: Fixed.at(3_000), endsAt: Fixed.at(7_000))
            moved.title = "Phone"
            _ = try await center.post("/v1/apply", ClusterDocument(sales: [DeclaredSale(sale: moved)]))
            #expect(try await center.config().sales.first { $0.terms.id == "open" }?.terms.startsAtMs == Fixed.nowMs + 3_000_000)
            try await center.addUnit("eu-2", region: "eu", url: "http://127.0.0.1:8000/eu-2")
            #expect(try await owners("open") == ["eu": ["eu-1"], "ap": ["ap-1"]])
        }
    }
}
