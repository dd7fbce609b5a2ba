// The rebalancer's proof: thousands of seeded runs through lost, duplicated, reordered and partitioned gossip
// and crashing units, checked after every step.

import FlashSaleCore
import Foundation
import Testing

@Suite("Seeded fault simulation")
struct SimulationTests {
    /// Seeds run in CI; `SIM_SEEDS` raises it, `SIM_SEED` replays one.
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let one = environment["SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["SIM_SEEDS"].flatMap(Int.init) ?? 2_000
        return (0..<UInt64(count)).map { $0 }
    }

    /// Runs `work` on a thread of its own, at the lowest priority. The seeds are minutes of CPU: on the shared pool of
    /// Swift concurrency (two threads on a 2-core machine) they would starve the in-process servers of the other suites
    /// running meanwhile; even on threads of their own, four of them at the normal priority took two thirds of the
    /// cores from the pool, and a full test run's in-process servers once stalled past their clients' 20 s read
    /// timeout. At nice 19 they take the cores only when nothing else wants them.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                // Linux keeps the nice value per thread: who = 0 is this thread alone.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                continuation.resume(returning: work())
            }
        }
    }

    @Test("no oversell, no negative rights, conservation and convergence, for every seed")
    func invariantsHoldForEverySeed() async {
        let seeds = Self.seeds
        let outcome = await Self.onOwnThread { () -> (grants: Int, sold: Int64, disks: DiskLosses, failure: String?) in
            var grants = 0
            var sold: Int64 = 0
            var disks = DiskLosses()
            for seed in seeds {
                var simulation = Simulation(seed: seed)
                simulation.run(steps: 400)
                if simulation.failures.isEmpty { simulation.endSaleAndConverge() }
                grants += simulation.grantsMade
                sold += simulation.truth.totalHeld
                disks.add(simulation)
                guard simulation.failures.isEmpty else {
                    return (grants, sold, disks, "seed \(seed) failed (replay: SIM_SEED=\(seed) swift test --filter SimulationTests): \(simulation.failures.prefix(3))")
                }
            }
            return (grants, sold, disks, nil)
        }
        if let failure = outcome.failure {
            Issue.record(Comment(rawValue: failure))
            return
        }
        // The runs must exercise what they claim to: units sell and stock moves between them.
        #expect(outcome.sold > 0)
        #expect(outcome.grants > seeds.count / 4, "rebalancing grants happened in too few runs to mean anything")
        // Whole disks were lost and recovered from the others, and what recovery could not know stayed rare.
        print("simulation: \(seeds.count) seeds, \(outcome.disks.lost) disks lost, \(outcome.disks.recovered) recoveries, \(outcome.disks.forgotten) orders forgotten with them")
        if seeds.count >= 100 {
            #expect(outcome.disks.lost > seeds.count / 20, "too few disks were lost to test recovery")
            #expect(outcome.disks.recovered >= outcome.disks.lost / 2, "units that lost their disk came back")
        }
    }

    /// Whole-disk losses over a run of seeds.
    struct DiskLosses: Sendable {
        var lost = 0
        var recovered = 0
        var forgotten: Int64 = 0

        mutating func add(_ simulation: Simulation) {
            lost += simulation.units.reduce(0) { $0 + $1.disksLost }
            recovered += simulation.units.reduce(0) { $0 + $1.recoveries }
            forgotten += simulation.forgotten
        }
    }

    /// Issue 12's proof: a member whose key an attacker holds sends forged, altered, replayed and other owners' rows
    /// and made-up grants of its own at every step, signs a different history for each node it talks to
    /// (equivocation), forges the config-center's witness, and pulls grants to itself. On the honest nodes no
    /// oversell, no negative rights, no row an honest owner did not write; at the end, conservation (what it was
    /// granted stays with it) and convergence.
    @Test("with a byzantine member: the invariants hold on the honest nodes, for every seed")
    func invariantsHoldWithAByzantineMember() async {
        let seeds = Array(Self.seeds.prefix(500))
        let outcome = await Self.onOwnThread { () -> (attacks: Int, forks: Int, refused: Int, conflicting: Int, forged: Int, sold: Int64, failure: String?) in
            var attacks = 0
            var forks = 0
            var refused = 0
            var conflicting = 0
            var forged = 0
            var sold: Int64 = 0
            for seed in seeds {
                var simulation = Simulation(seed: seed, byzantine: true)
                simulation.run(steps: 400)
                if simulation.failures.isEmpty { simulation.endSaleAndConverge() }
                attacks += simulation.byzantine?.attacksSent ?? 0
                forks += simulation.byzantine?.forks.count ?? 0
                let kept = [simulation.centerKept] + simulation.units.map(\.kept)
                refused += kept.reduce(0) { $0 + $1.refusedOverdrawn }
                conflicting += kept.reduce(0) { $0 + $1.refusedConflicting }
                forged += kept.reduce(0) { $0 + $1.refusedWitnesses }
                sold += simulation.units.reduce(0) { $0 + simulation.truth.row($1.id).held }
                guard simulation.failures.isEmpty else {
                    return (attacks, forks, refused, conflicting, forged, sold, "seed \(seed) failed (replay: SIM_SEED=\(seed) swift test --filter SimulationTests): \(simulation.failures.prefix(3))")
                }
            }
            return (attacks, forks, refused, conflicting, forged, sold, nil)
        }
        if let failure = outcome.failure {
            Issue.record(Comment(rawValue: failure))
            return
        }
        #expect(outcome.attacks > seeds.count * 50, "the byzantine node attacked at nearly every step")
        #expect(outcome.refused > 0, "some of its made-up grants went beyond what it held, and were refused")
        #expect(outcome.forks > seeds.count, "it signed other histories for other nodes")
        #expect(outcome.conflicting > 0, "its histories met at some node, which refused the later one")
        #expect(outcome.forged > 0, "its forged witnesses were refused")
        #expect(outcome.sold > 0, "honest units still sold")
    }

    /// The mutation check of the witness rule: the same attack against units that count other units' grants as the
    /// rows say (as they did before the witness) makes the honest units together sell or offer more than was minted in
    /// some seed. If this stops failing, the attack above no longer tests what it claims to.
    @Test("without the witness rule, the byzantine member's equivocation oversells")
    func equivocationOversellsWithoutTheWitness() async {
        let broken = await Self.onOwnThread { () -> UInt64? in
            for seed in UInt64(0)..<200 {
                var simulation = Simulation(seed: seed, byzantine: true, trustsRows: true)
                // Every step, whatever else fails: what counts here is whether honest units sold stock never minted.
                for _ in 0..<400 {
                    simulation.step()
                    simulation.check()
                    if simulation.failures.contains(where: { $0.contains("honest units hold") }) { return seed }
                }
            }
            return nil
        }
        #expect(broken != nil, "no seed of 200 broke an invariant with the witness rule off")
    }

    /// Issue 16: what buyers see, bounded, on runs without faults (the faulty runs above prove the invariants). Each
    /// run is 20 s of shifting demand at 2 to 5 units; a buyer told "try again" is first held 300 ms, as the node holds
    /// the request while its pull is under way. Stock "elsewhere" is stock beyond what its holder's own buyers take in
    /// one round (`Simulation.spare`). The bounds sit a little above what the rule achieves (1.8 % of attempts, dry
    /// spells of at most 1.05 s in 99 %, back-and-forth grants 0.5 % of grants, crumbs stranded): a change that makes
    /// buyers wait longer fails here, and the same runs without pulls do worse in both measures.
    @Test("what buyers see without faults: few retries while stock is elsewhere, quick refills, little stock back and forth")
    func buyersRarelyWait() async {
        let (pulling, failure) = await Self.onOwnThread { Self.buyerView(seeds: 0..<300, pulling: true) }
        if let failure { Issue.record(Comment(rawValue: failure)) }
        let (waiting, _) = await Self.onOwnThread { Self.buyerView(seeds: 0..<300, pulling: false) }
        print(
            "simulation, buyers: \(pulling.attempts) attempts, \(pulling.retriesWhileStockElsewhere) told to retry while stock was elsewhere (\(pulling.retryShare * 100) %; without pulls \(waiting.retryShare * 100) %), dry spells p99 \(pulling.dryTicksP99) ticks (without pulls \(waiting.dryTicksP99)), \(pulling.pulls) pulls, \(pulling.grants) grants, \(pulling.backAndForth) back and forth, \(pulling.strandedAtEnd) stranded at the end")
        #expect(pulling.attempts > 100_000, "the runs had crowds")
        #expect(pulling.retryShare <= 0.02, "at most 2 % of attempts told to retry while stock is spare elsewhere")
        #expect(pulling.dryTicksP99 <= 24, "99 % of dry spells while another unit has stock end within 1.2 s")
        #expect(pulling.backAndForth * 50 <= pulling.grants, "under 2 % of grants go back where they came from within a second")
        #expect(pulling.strandedAtEnd <= 300, "less than a unit per run left spare while buyers elsewhere were turned away")
        // The mutation check: without pulls buyers wait for donors' rounds, and both measures are worse.
        #expect(waiting.retryShare > pulling.retryShare, "pulls are what keeps retries rare")
        #expect(waiting.dryTicksP99 > pulling.dryTicksP99, "pulls are what ends dry spells sooner")
    }

    /// The buyers' view over `seeds` of calm runs, and the first failure of an invariant.
    static func buyerView(seeds: Range<UInt64>, pulling: Bool) -> (BuyerView, String?) {
        var total = BuyerView()
        for seed in seeds {
            var simulation = Simulation(seed: seed, calm: true, pulling: pulling)
            simulation.run(steps: 400)
            simulation.noteStranded()
            if simulation.failures.isEmpty { simulation.endSaleAndConverge() }
            total.add(simulation.seen)
            if !simulation.failures.isEmpty {
                return (total, "calm seed \(seed) failed: \(simulation.failures.prefix(3))")
            }
        }
        return (total, nil)
    }

    @Test("a seed replays exactly")
    func deterministic() {
        var first = Simulation(seed: 42)
        first.run(steps: 300)
        var second = Simulation(seed: 42)
        second.run(steps: 300)
        #expect(first.truth == second.truth)
        #expect(first.grantsMade == second.grantsMade)
    }

    @Test("busy units receive stock from idle ones")
    func stockFollowsDemand() async {
        let moved = await Self.onOwnThread { () -> Int in
            var moved = 0
            for seed in UInt64(0)..<200 {
                var simulation = Simulation(seed: seed)
                simulation.run(steps: 400)
                moved += simulation.units.reduce(0) { total, unit in
                    total + simulation.units.filter { $0.id != unit.id }.reduce(0) { $0 + Int(simulation.truth.row(unit.id).grantedTo[$1.id] ?? 0) }
                }
            }
            return moved
        }
        #expect(moved > 0)
    }
}
