// Regions and units: declared, listed, validated, never moved; the config version follows real changes only.

import ConfigCenter
import FlashSaleAPI
import Foundation
import Testing

@Suite("Regions and units")
struct RegionUnitTests {
    @Test("regions and units are added and listed in id order")
    func addAndList() async throws {
        try await withCenter { center in
            let us = try await center.addRegion("us", endpoint: "https://us.example.test")
            #expect(us == RegionSpec(id: "us", endpoint: "https://us.example.test"))
            try await center.addRegion("eu")
            #expect(try await center.regions() == [
                RegionSpec(id: "eu"), RegionSpec(id: "us", endpoint: "https://us.example.test"),
            ])

            let unit = try await center.addUnit("eu-2", region: "eu", url: "http://10.0.0.2:8080")
            #expect(unit.id == "eu-2" && unit.region == "eu" && unit.url == "http://10.0.0.2:8080")
            #expect(unit.lastSeen == nil)
            try await center.addUnit("eu-1", region: "eu")
            try await center.addUnit("us-1", region: "us", url: "http://10.0.1.1:8080")

            let units = try await center.units()
            #expect(units.map(\.id) == ["eu-1", "eu-2", "us-1"])
            #expect(units.map(\.region) == ["eu", "eu", "us"])
            #expect(units.map(\.url) == [nil, "http://10.0.0.2:8080", "http://10.0.1.1:8080"])

            let config = try await center.config()
            #expect(config.regions.map(\.id) == ["eu", "us"])
            #expect(config.units.map(\.id) == ["eu-1", "eu-2", "us-1"])
        }
    }

    @Test(
        "an invalid region id is refused with invalid-input",
        arguments: ["EU", "", "-eu", "eu_west", "eu west", "é", String(repeating: "a", count: 65)])
    func invalidRegionID(id: String) async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/regions", RegionSpec(id: id))
            }
            #expect(try await center.regions() == [RegionSpec(id: "eu")])
        }
    }

    @Test("a region endpoint that is not an http(s) URL is refused", arguments: ["ftp://eu.example.test", "not a url", "http://"])
    func invalidEndpoint(endpoint: String) async throws {
        try await withCenter { center in
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/regions", RegionSpec(id: "eu", endpoint: endpoint))
            }
            #expect(try await center.regions().isEmpty)
        }
    }

    @Test("an invalid unit id is refused with invalid-input", arguments: ["EU-1", "", "center", "-u1", "u/1", "u.1"])
    func invalidUnitID(id: String) async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/units", UnitSpec(id: id, region: "eu"))
            }
            #expect(try await center.units().isEmpty)
        }
    }

    @Test("a unit with an invalid region id or url is refused with invalid-input")
    func invalidUnitRegionOrURL() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "EU"))
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "eu", url: "file:///etc/passwd"))
            }
            #expect(try await center.units().isEmpty)
        }
    }

    @Test("a unit in an unknown region is refused with unknown-region")
    func unitInUnknownRegion() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let problem = try await center.expectRefused(.unknownRegion) {
                try await center.post("/v1/units", UnitSpec(id: "us-1", region: "us"))
            }
            #expect(problem.detail?.contains("'us'") == true)
            #expect(try await center.units().isEmpty)
            #expect(try await center.regions() == [RegionSpec(id: "eu")])
        }
    }

    @Test("a unit never moves to another region: 409 conflict, it stays where it was")
    func unitMoved() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.addRegion("us")
            try await center.addUnit("u-1", region: "eu", url: "http://10.0.0.1:8080")
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/units", UnitSpec(id: "u-1", region: "us", url: "http://10.0.0.9:8080"))
            }
            let units = try await center.units()
            #expect(units.count == 1)
            #expect(units.first?.region == "eu")
            #expect(units.first?.url == "http://10.0.0.1:8080")
        }
    }

    @Test("the config version rises on each change and not on an identical re-add")
    func versionFollowsChanges() async throws {
        try await withCenter { center in
            #expect(try await center.version() == 0)

            try await center.addRegion("eu")
            #expect(try await center.version() == 1)
            try await center.addRegion("eu")
            #expect(try await center.version() == 1, "identical region re-added")

            try await center.addRegion("eu", endpoint: "https://eu.example.test")
            #expect(try await center.version() == 2, "endpoint changed")
            try await center.addRegion("eu", endpoint: "https://eu.example.test")
            #expect(try await center.version() == 2)

            try await center.addUnit("eu-1", region: "eu", url: "http://10.0.0.1:8080")
            #expect(try await center.version() == 3)
            try await center.addUnit("eu-1", region: "eu", url: "http://10.0.0.1:8080")
            #expect(try await center.version() == 3, "identical unit re-added")

            // Without a url the unit keeps the one it has; nothing changes.
            let kept = try await center.addUnit("eu-1", region: "eu")
            #expect(kept.url == "http://10.0.0.1:8080")
            #expect(try await center.version() == 3)

            try await center.addUnit("eu-1", region: "eu", url: "http://10.0.0.2:8080")
            #expect(try await center.version() == 4, "unit url changed")
            #expect(try await center.units().first?.url == "http://10.0.0.2:8080")

            // Refusals do not move it either.
            try await center.expectRefused(.unknownRegion) {
                try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "us"))
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/regions", RegionSpec(id: "Bad"))
            }
            #expect(try await center.version() == 4)
        }
    }

    @Test("an unknown route answers problem+json not-found")
    func unknownRoute() async throws {
        try await withCenter { center in
            try center.expectProblem(try await center.get("/v1/nothing-here"), .notFound)
        }
    }
}
