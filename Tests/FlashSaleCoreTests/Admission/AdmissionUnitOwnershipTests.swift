// UnitOwnership: a stable hash, order independence, an even spread, and minimal movement when units change.

import FlashSaleCore
import Testing
import TestSupport

@Suite("Admission: unit ownership")
struct AdmissionUnitOwnershipTests {
    static let units = ["eu-1", "eu-2", "eu-3"]
    static let users = (0..<30_000).map { "user-\($0)" }

    static func owners(among units: [String]) -> [String: String] {
        var owners: [String: String] = [:]
        for user in users { owners[user] = UnitOwnership.owner(of: user, among: units) }
        return owners
    }

    @Test("no units, no owner; one unit owns everyone")
    func trivial() {
        #expect(UnitOwnership.owner(of: "alice", among: []) == nil)
        #expect(UnitOwnership.owner(of: "alice", among: ["eu-1"]) == "eu-1")
        #expect(UnitOwnership.owner(of: "", among: ["eu-1"]) == "eu-1")
    }

    @Test("the weights are FNV-1a 64 of user, zero byte, unit, then SplitMix64's finalizer, fixed across releases")
    func goldenWeights() {
        // Computed independently (Python) from the definition in the doc comment.
        #expect(UnitOwnership.weight(of: "alice", on: "eu-1") == 0x3036_0374_150E_58EA)
        #expect(UnitOwnership.weight(of: "alice", on: "eu-2") == 0x6E65_FC29_DB78_25E8)
        #expect(UnitOwnership.weight(of: "bob", on: "eu-1") == 0x4DE1_D2B4_E322_EA54)
        #expect(UnitOwnership.weight(of: "", on: "") == 0x25FC_6DD3_6CE0_4B20)
        #expect(UnitOwnership.weight(of: "user-42", on: "us-west-3") == 0xB0CC_C5A2_7B68_D154)
    }

    @Test("owners are fixed across releases and processes")
    func goldenOwners() {
        let expected = ["alice": "eu-3", "bob": "eu-2", "carol": "eu-1", "dave": "eu-3", "erin": "eu-3"]
        for (user, unit) in expected {
            #expect(UnitOwnership.owner(of: user, among: Self.units) == unit)
        }
    }

    @Test("the owner is the unit with the highest weight")
    func highestWeightWins() {
        for user in Self.users.prefix(1_000) {
            let best = Self.units.max { UnitOwnership.weight(of: user, on: $0) < UnitOwnership.weight(of: user, on: $1) }
            #expect(UnitOwnership.owner(of: user, among: Self.units) == best)
        }
    }

    @Test("the order and duplicates of the unit list do not matter")
    func orderIndependent() {
        let units = ["eu-1", "eu-2", "eu-3", "eu-4", "eu-5"]
        var generator = SplitMix64(seed: 7)
        for user in Self.users.prefix(2_000) {
            let owner = UnitOwnership.owner(of: user, among: units)
            #expect(UnitOwnership.owner(of: user, among: units.shuffled(using: &generator)) == owner)
            #expect(UnitOwnership.owner(of: user, among: units.reversed() + units) == owner)
        }
    }

    @Test("30,000 users spread over 3 units, each unit getting 28-38%")
    func evenSpread() {
        var counts: [String: Int] = [:]
        for owner in Self.owners(among: Self.units).values { counts[owner, default: 0] += 1 }
        #expect(Set(counts.keys) == Set(Self.units))
        for unit in Self.units {
            #expect((8_400...11_400).contains(counts[unit] ?? 0), "unit \(unit) got \(counts[unit] ?? 0)")
        }
    }

    @Test("adding a unit moves only the users it takes, about a quarter of them")
    func addingMovesOnlyToNewUnit() {
        let before = Self.owners(among: Self.units)
        let after = Self.owners(among: Self.units + ["eu-4"])
        var moved = 0
        for user in Self.users where before[user] != after[user] {
            #expect(after[user] == "eu-4")
            moved += 1
        }
        #expect((6_000...9_000).contains(moved), "\(moved) users moved")
    }

    @Test("removing a unit moves only its own users")
    func removingMovesOnlyItsUsers() {
        let before = Self.owners(among: Self.units)
        let after = Self.owners(among: ["eu-1", "eu-3"])
        for user in Self.users where before[user] != after[user] {
            #expect(before[user] == "eu-2")
        }
        #expect(!after.values.contains("eu-2"))
    }

    @Test("the separator keeps user and unit apart: ab+c and a+bc score differently")
    func separator() {
        #expect(UnitOwnership.weight(of: "ab", on: "c") != UnitOwnership.weight(of: "a", on: "bc"))
    }
}
