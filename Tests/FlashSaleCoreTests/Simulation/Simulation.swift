// A seeded, deterministic run of N units and the config-center through a faulty network.

import FlashSaleCore
import TestSupport

/// One simulated sale. Time moves in ticks of 50 ms; units gossip every `gossipEvery` ticks with `fanout`
/// random peers; buyers arrive with a demand per unit that shifts during the sale; the network drops,
/// duplicates, delays and partitions; units crash and restart from their disk; in a third of the seeds without a
/// byzantine member (`losesDisks`) units now and then lose their whole disk and recover their row from the others. `check()` runs
/// after every step.
struct Simulation {
    static let tickMs: Int64 = 50
    let seed: UInt64
    private(set) var rng: SplitMix64
    private(set) var network = SimNetwork()
    private(set) var units: [SimUnit]
    /// The config-center's replica (its own row is the truth for minting and its grants).
    private(set) var center: RightsLedger
    /// The rows of other nodes the config-center keeps as their owners signed them.
    private(set) var centerKept = SimKeptRows()
    /// A member whose key an attacker holds, in runs that have one.
    private(set) var byzantine: SimByzantine?
    private var demand: [Int]
    private(set) var tick = 0
    private var nextUser = 0
    let policy = RebalancePolicy(endgameTotal: 20)
    /// Pulls look one gossip round ahead and are repeated at most every other tick.
    let pullRule = PullRule(horizonMs: 200, fanout: 2, spacingMs: 100)
    let gossipEvery = 4
    let fanout = 2
    /// How long a buyer answered "try again" is held before hearing it (the node's 300 ms), in ticks.
    let holdTicks = 6
    /// A run without faults: no loss, duplication, partition, crash or lost disk, and a network one tick long. What
    /// buyers see is bounded on such runs (`BuyerView`); the invariants are proved on the faulty ones.
    let calm: Bool
    /// Whether dry units ask for stock and donors answer needy pulses at once (off: the mutation check of pulls).
    let pulling: Bool
    /// What buyers saw (issue 16).
    private(set) var seen = BuyerView()
    /// Buyers answered "try again" and held, waiting for a pull to bring stock: (unit index, user, key, last tick).
    private var held: [(unit: Int, user: String, key: String, untilTick: Int)] = []
    /// Units that gave stock away and tell the receivers once the config-center's answer (its witness) is back.
    private var awaitingWitness: [Int: Set<NodeID>] = [:]
    /// Grants made in the last second (tick, from, to), to count stock that went away and came back.
    private var recentGrants: [(tick: Int, from: NodeID, to: NodeID)] = []
    /// Per unit, how many ticks in a row its buyers were told "try again" while another unit had spare stock, and
    /// the units whose buyers were this tick.
    private var dryAt: [Int: Int] = [:]
    private var waitingWhileStockElsewhere: Set<Int> = []
    private(set) var failures: [String] = []
    private(set) var grantsMade = 0
    /// Buyers whose order was in flight when their unit crashed: (unit index, user, idempotency key).
    private var retries: [(Int, String, String)] = []
    /// Orders acknowledged (the group commit wrote them), and purchases retried after a crash lost them.
    private(set) var acknowledged = 0
    private(set) var retriesMade = 0
    /// Whether units of this run lose their whole disk now and then.
    let losesDisks: Bool

    /// A run of `seed`; with `byzantine`, one more member that attacks at every step (`SimByzantine`). With
    /// `trustsRows`, units count grants from other units without the config-center's witness: the mutation check of
    /// the witness rule, which such a run breaks.
    init(seed: UInt64, byzantine: Bool = false, trustsRows: Bool = false, calm: Bool = false, pulling: Bool = true) {
        self.seed = seed
        self.calm = calm
        self.pulling = pulling
        var rng = SplitMix64(seed: seed)
        let count = rng.int(2...5)
        let ids = (1...count).map { NodeID("u\($0)") }
        let minted = rng.int64(Int64(count)...400)
        var center = RightsLedger()
        try? center.mint(minted, by: .center)
        // A skewed first allocation of most of the stock; the rest stays at the center for later.
        var left = minted - rng.int64(0...(minted / 4))
        for (index, unit) in ids.enumerated() where left > 0 {
            let amount = index == ids.count - 1 ? left : rng.int64(0...left)
            if amount > 0 { try? center.grant(amount, from: .center, to: unit) }
            left -= amount
        }
        let terms = SaleTerms(id: "sale", title: "Sim", startsAtMs: 0, endsAtMs: 1_000_000_000, perUserLimit: 1)
        // Each unit starts knowing only the center's row, as after its first config.
        let start = RightsLedger(rows: [.center: center.row(.center)])
        self.units = ids.map { SimUnit(id: $0, terms: terms, ledger: start, trustsRows: trustsRows) }
        self.honestNodes = [.center] + ids
        self.nodes = honestNodes + (byzantine ? ["b"] : [])
        self.center = center
        self.demand = ids.map { _ in rng.int(0...3) }
        self.rng = rng
        network.dropPercent = calm ? 0 : rng.int(0...30)
        network.duplicatePercent = calm ? 0 : rng.int(0...20)
        network.maxDelay = calm ? 1 : rng.int(1...8)
        // Not with a byzantine member: one that kept a unit's genuine row from before its disk was lost can replay it
        // after the unit recovered without it, and the unit then looks as if it had signed two histories (ARCHITECTURE,
        // "Limits").
        let losesDisks = self.rng.chance(33)
        self.losesDisks = losesDisks && !byzantine && !calm
        if byzantine { self.byzantine = SimByzantine(id: "b", sale: terms.id, keepsWithinHeld: self.rng.chance(50)) }
    }

    var nowMs: Int64 { Int64(tick) * Self.tickMs }
    var minted: Int64 { center.row(.center).minted }

    /// Orders acknowledged that recovery could not bring back (`SimUnit.forgotten`): the stock the units may sell twice.
    var forgotten: Int64 { units.reduce(0) { $0 + $1.forgotten } }

    /// The true state: every honest node's row as that node itself wrote it, and the byzantine node's as the
    /// config-center took it. It may sign other histories for other nodes (equivocate), but a grant counts at a unit
    /// only as far as the config-center witnessed it, so its one history there is what honest nodes sell from.
    var truth: RightsLedger {
        var ledger = RightsLedger(rows: [.center: center.row(.center)])
        for unit in units { ledger.merge(unit.trueRow, of: unit.id) }
        if let byzantine, let row = center.rows[byzantine.id] { ledger.merge(row, of: byzantine.id) }
        return ledger
    }

    /// The config-center's reply: its own row, the rows it keeps, and its witness of grants between units, signed.
    private var centerDigest: GossipDigest {
        var digest = centerKept.digest(sale: "sale", owner: .center, row: center.row(.center), pulse: nil)
        let witness = GrantWitness(ledger: center)
        digest.witness = witness
        digest.witnessSignature = SimSignature.sign(witness, by: .center)
        return digest
    }

    // MARK: Running

    mutating func run(steps: Int) {
        for _ in 0..<steps {
            step()
            check()
            if !failures.isEmpty { return }
        }
    }

    mutating func step() {
        tick += 1
        faults()
        buyers()
        noteDrySpells()
        pulls()
        deliver()
        if tick % gossipEvery == 0 {
            gossip()
            rebalance()
        }
        recover()
        centerActs()
    }

    /// Units that run dry within a round ask the likeliest donors at once (`PullRule`): their pulse, in a push.
    private mutating func pulls() {
        guard pulling else { return }
        for index in units.indices where units[index].isUp {
            let donors = units[index].ask(rule: pullRule, nowMs: nowMs, maxPulseAgeMs: 2_000)
            guard !donors.isEmpty, let digest = units[index].digest(nowMs: nowMs) else { continue }
            seen.pulls += 1
            for donor in donors { network.send(digest, to: donor, isPush: true, now: tick, rng: &rng) }
        }
    }

    /// Recovering units get the configuration when the config-center is reachable (its copy of their row with it),
    /// and sell again once the machine has heard enough; each must then hold at least every copy of its row that the
    /// nodes it heard from had when its disk was lost: "it never sells again what any node knew it had sold".
    private mutating func recover() {
        let nodes = nodes
        let peersOf = { (unit: NodeID) in Set(nodes.filter { $0 != unit && $0 != .center }) }
        for index in units.indices where units[index].isUp && units[index].isRecovering {
            let unit = units[index].id
            if !units[index].hasConfig, !network.isCut(.center, unit), rng.chance(50) {
                units[index].adoptConfig(
                    centerRow: center.row(.center), witness: GrantWitness(ledger: center), remembered: center.rows[unit],
                    peers: peersOf(unit), nowMs: nowMs)
            }
            let copies = units[index].copiesAtLoss
            guard let (restored, silent) = units[index].finishRecoveryIfReady(nowMs: nowMs) else { continue }
            for (node, copy) in copies where !silent.contains(node) && !restored.dominates(copy) {
                failures.append("tick \(tick): \(unit) recovered \(restored), below \(node)'s copy \(copy) when its disk was lost")
            }
        }
    }

    private mutating func faults() {
        if tick % 100 == 0 || (calm && tick == 1) {
            // Demand shifts: one region gets busy, others calm down or stop.
            demand = demand.map { _ in rng.chance(30) ? 0 : rng.int(0...2) }
            demand[rng.int(0...(demand.count - 1))] = rng.int(3...8)
        }
        if calm { return }
        for index in units.indices {
            if losesDisks, units[index].isUp, rng.chance(1), rng.chance(20) {
                loseDisk(index)
            } else if units[index].isUp, rng.chance(1) {
                // Its buyers in flight were never answered: they try again, with the same key.
                retries += units[index].inFlight.map { (index, $0.userID, $0.idempotencyKey ?? "") }
                units[index].crash()
            } else if !units[index].isUp, rng.chance(10) {
                units[index].restart()
            }
        }
        if rng.chance(2) {
            let a = rng.pick(nodes)
            let b = rng.pick(nodes)
            if a != b { network.cut.insert([a, b].sorted()) }
        }
        // Sorted first: a Set's order differs between runs, and the seed alone must decide.
        let cuts = network.cut.sorted { $0.map(\.rawValue).joined() < $1.map(\.rawValue).joined() }
        if rng.chance(3), let healed = cuts.randomElement(using: &rng) { network.cut.remove(healed) }
    }

    /// Unit `index` loses its whole disk: its buyers in flight retry, every copy of its row the others hold now is
    /// noted (recovery is held to them), and messages to and from it are gone with its connections. A peer whose own
    /// disk goes no longer holds its copies: recovery is not held to those.
    private mutating func loseDisk(_ index: Int) {
        let unit = units[index].id
        retries += units[index].inFlight.map { (index, $0.userID, $0.idempotencyKey ?? "") }
        var copies: [NodeID: LedgerRow] = [:]
        if let row = center.rows[unit] { copies[.center] = row }
        for other in units where other.id != unit {
            if let row = other.kept.rows[unit] { copies[other.id] = row }
        }
        units[index].loseDisk(copies: copies)
        for other in units.indices where other != index { units[other].copiesAtLoss[unit] = nil }
        network.dropAll(of: unit)
    }

    /// Every node, and the honest ones: fixed for the run (computed from `units` they would copy every unit each time).
    private let nodes: [NodeID]
    private let honestNodes: [NodeID]

    /// New buyers at each unit (each with an idempotency key), buyers whose order was lost in a crash retrying
    /// with the same key, the group commit (now and then a tick late, so orders are in flight across gossip and
    /// grants), and now and then a buyer cancelling (or letting the payment window close on) an order.
    private mutating func buyers() {
        let waiting = held
        held = []
        for buyer in waiting where units[buyer.unit].isUp {
            attempt(at: buyer.unit, user: buyer.user, key: buyer.key, untilTick: buyer.untilTick)
        }
        for index in units.indices where units[index].isUp {
            for _ in 0..<rng.int(0...demand[index]) {
                nextUser += 1
                seen.attempts += 1
                attempt(at: index, user: "user-\(nextUser)", key: "key-\(nextUser)", untilTick: tick + holdTicks)
            }
        }
        let due = retries
        retries = []
        retriesMade += due.count
        for (index, user, key) in due where units[index].isUp {
            _ = units[index].purchase(user: user, key: key, nowMs: nowMs)
        }
        for index in units.indices where units[index].isUp && rng.chance(70) {
            acknowledged += units[index].commit().count
        }
        for index in units.indices where units[index].isUp && !units[index].diskOrders.isEmpty && rng.chance(5) {
            units[index].release(orderAt: rng.int(0...(units[index].diskOrders.count - 1)))
        }
    }

    /// One purchase attempt at unit `index`. "Try again" holds the buyer until `untilTick` (the node holds the request
    /// while its pull is under way); past it the buyer hears it, and it is counted against stock held elsewhere.
    private mutating func attempt(at index: Int, user: String, key: String, untilTick: Int) {
        switch units[index].purchase(user: user, key: key, nowMs: nowMs) {
        case .answer(.rebalancing):
            if spareElsewhere(than: index) > 0 { waitingWhileStockElsewhere.insert(index) }
            if tick < untilTick {
                held.append((index, user, key, untilTick))
                return
            }
            seen.retries += 1
            if spareElsewhere(than: index) > 0 { seen.retriesWhileStockElsewhere += 1 }
            seen.lastRetryTick = tick
        default:
            break
        }
    }

    /// Spare stock at the units other than `index`.
    private func spareElsewhere(than index: Int) -> Int64 {
        units.indices.reduce(Int64(0)) { $0 + ($1 == index ? 0 : spare(at: $1)) }
    }

    /// Dry spells: a unit whose buyers are told "try again" (held or not) while another has spare stock, tick after
    /// tick; a spell ends at the first tick without, and its length is recorded.
    private mutating func noteDrySpells() {
        for index in units.indices {
            if waitingWhileStockElsewhere.contains(index) {
                dryAt[index, default: 0] += 1
            } else if let ticks = dryAt.removeValue(forKey: index) {
                seen.dryToSaleTicks.append(ticks)
            }
        }
        waitingWhileStockElsewhere = []
    }

    /// Stock unit `index` holds beyond what its own buyers take within a pull's horizon (`PullRule.isNeedy`): what
    /// another unit's buyers could have had. A last unit or two at a busy unit goes to its own buyers the next moment,
    /// and a buyer elsewhere told "try again" then was not kept from it.
    private func spare(at index: Int) -> Int64 {
        guard let pulse = units[index].pulse(nowMs: nowMs), units[index].available > 0 else { return 0 }
        let ownNeed = Int64((pulse.demandPerSecond * Double(pullRule.horizonMs) / 1_000).rounded(.up))
        return max(units[index].available - ownNeed, 0)
    }

    private mutating func deliver() {
        for message in network.due(now: tick, rng: &rng) {
            if message.to == .center {
                center.merge(RightsLedger(rows: centerKept.take(message.digest, receiver: .center, ledger: center)))
                if message.isPush {
                    network.send(centerDigest, to: message.digest.from, isPush: false, now: tick, rng: &rng)
                }
            } else if var byzantine, message.to == byzantine.id {
                byzantine.overhear(message.digest)
                if message.isPush {
                    network.send(byzantine.attack(message.digest.from, nowMs: nowMs, rng: &rng), to: message.digest.from,
                                 isPush: false, now: tick, rng: &rng)
                }
                self.byzantine = byzantine
            } else if let index = units.firstIndex(where: { $0.id == message.to }), units[index].isUp {
                units[index].absorb(message.digest, nowMs: nowMs)
                if message.isPush, let reply = units[index].digest(nowMs: nowMs) {
                    network.send(reply, to: message.digest.from, isPush: false, now: tick, rng: &rng)
                }
                if message.digest.from == .center, let receivers = awaitingWitness.removeValue(forKey: index),
                    let digest = units[index].digest(nowMs: nowMs)
                {
                    // The config-center's answer carried the witness of the grants: now the receivers can sell them.
                    for receiver in receivers.sorted() { network.send(digest, to: receiver, isPush: true, now: tick, rng: &rng) }
                }
                // A needy pulse (a pull, a round's push or an answer) makes this unit decide now, as the node does.
                if pulling, let pulse = message.digest.pulse, pulse.node == message.digest.from, pullRule.isNeedy(pulse) {
                    rebalance(index)
                }
            }
        }
    }

    private mutating func gossip() {
        for index in units.indices {
            guard let digest = units[index].digest(nowMs: nowMs) else { continue }
            let peers = nodes.filter { $0 != units[index].id }
            for peer in peers.shuffled(using: &rng).prefix(fanout) {
                network.send(digest, to: peer, isPush: true, now: tick, rng: &rng)
            }
        }
        attack(targets: honestNodes.shuffled(using: &rng).prefix(fanout))
    }

    /// The byzantine node pushes its attack to each of `targets`.
    private mutating func attack(targets: some Sequence<NodeID>) {
        guard var byzantine else { return }
        for target in targets {
            network.send(byzantine.attack(target, nowMs: nowMs, rng: &rng), to: target, isPush: true, now: tick, rng: &rng)
        }
        self.byzantine = byzantine
    }

    private mutating func rebalance() {
        for index in units.indices { rebalance(index) }
    }

    /// Unit `index` runs the policy; a grant made tells the config-center at once and the receivers once its answer
    /// is back, as the node's round does (`Gossiper.round`).
    private mutating func rebalance(_ index: Int) {
        let grants: [NodeID: Int64]
        do {
            grants = try units[index].rebalance(policy: policy, nowMs: nowMs, maxPulseAgeMs: 2_000)
        } catch {
            failures.append("tick \(tick): \(units[index].id) could not make its own grant: \(error)")
            return
        }
        guard !grants.isEmpty else { return }
        grantsMade += grants.count
        seen.grants += grants.count
        let from = units[index].id
        recentGrants.removeAll { tick - $0.tick >= 1_000 / Int(Self.tickMs) }
        for to in grants.keys.sorted() {
            if recentGrants.contains(where: { $0.from == to && $0.to == from }) { seen.backAndForth += 1 }
            recentGrants.append((tick, from, to))
        }
        awaitingWitness[index, default: []].formUnion(grants.keys)
        if let digest = units[index].digest(nowMs: nowMs) {
            network.send(digest, to: .center, isPush: true, now: tick, rng: &rng)
        }
    }

    /// At the end of the selling: stock units still offer while a buyer was told "try again" in the last second.
    mutating func noteStranded() {
        guard let last = seen.lastRetryTick, tick - last < 1_000 / Int(Self.tickMs) else { return }
        seen.strandedAtEnd = units.indices.reduce(Int64(0)) { $0 + spare(at: $1) }
    }

    /// Now and then the center allocates some of what it still holds, or restocks.
    private mutating func centerActs() {
        guard rng.chance(1) else { return }
        if rng.chance(30) {
            try? center.mint(rng.int64(1...20), by: .center)
        }
        let held = center.rights(of: .center)
        guard held > 0 else { return }
        try? center.grant(rng.int64(1...held), from: .center, to: rng.pick(units).id)
    }

    // MARK: Invariants

    /// No oversell and no negative rights, in truth and in every node's own view.
    mutating func check() {
        let truth = truth
        if truth.totalHeld > truth.totalMinted {
            failures.append("tick \(tick): oversold, held \(truth.totalHeld) > minted \(truth.totalMinted)")
        }
        // Whatever the byzantine node claims of its own row: the honest units alone never sell, nor offer to sell, more
        // than was minted (what they sold, and what each believes it can still sell).
        let honestHeld = units.reduce(Int64(0)) { $0 + truth.row($1.id).held }
        let offered = units.reduce(honestHeld) { $0 + max($1.available, 0) }
        let forgotten = forgotten
        if offered > truth.totalMinted + forgotten {
            failures.append(
                "tick \(tick): oversold, honest units hold \(honestHeld) and offer \(offered - honestHeld) > minted \(truth.totalMinted) + forgotten \(forgotten)")
        }
        // What buyers hold, lost disks included: more than was minted only by the orders recovery could not know of.
        let buyersHold = units.reduce(Int64(0)) { $0 + $1.buyersHold }
        if buyersHold > truth.totalMinted + forgotten {
            failures.append("tick \(tick): buyers hold \(buyersHold) > minted \(truth.totalMinted) + forgotten \(forgotten)")
        }
        for node in nodes where truth.rights(of: node) < 0 {
            failures.append("tick \(tick): \(node) has \(truth.rights(of: node)) rights in truth")
        }
        for unit in units {
            if let book = unit.book, book.ledger.rights(of: unit.id) < 0 || book.available < 0 {
                failures.append("tick \(tick): \(unit.id) sees \(book.ledger.rights(of: unit.id)) rights of its own")
            }
            if !unit.isRecovering, Int64(unit.holding) + unit.recoveredHeld != unit.disk.row(unit.id).held {
                failures.append(
                    "tick \(tick): \(unit.id) holds \(unit.holding) orders and \(unit.recoveredHeld) recovered, its row says \(unit.disk.row(unit.id).held)")
            }
            if unit.isRecovering, !unit.inFlight.isEmpty {
                failures.append("tick \(tick): \(unit.id) took \(unit.inFlight.count) orders while recovering")
            }
            // One key never makes two orders; a user never holds more than the limit (buyers retry at their unit).
            if let broken = unit.violations.first { failures.append("tick \(tick): \(unit.id): \(broken)") }
        }
        if center.rights(of: .center) < 0 { failures.append("tick \(tick): the center has negative rights") }
        // No replica holds more of an honest node's row than that node wrote: nothing forged or altered got in.
        for (name, replica) in replicas {
            guard let replica else { continue }
            for owner in honestNodes where owner != name && !truth.row(owner).dominates(replica.row(owner)) {
                failures.append("tick \(tick): \(name) holds \(replica.row(owner)) for \(owner), which wrote \(truth.row(owner))")
            }
        }
    }

    /// End of the sale: the network heals, every unit comes back, buyers stop, every unit grants what it has
    /// left to the center, and gossip runs until every replica agrees. Then sold + returned must equal minted.
    mutating func endSaleAndConverge(maxRounds: Int = 400) {
        network.heal()
        for index in units.indices where !units[index].isUp { units[index].restart() }
        for index in units.indices { acknowledged += units[index].commit().count }
        for round in 0..<maxRounds {
            tick += 1
            for index in units.indices where units[index].available > 0 {
                do {
                    try units[index].grant(units[index].available, to: .center)
                } catch {
                    failures.append("end of sale: \(units[index].id) could not return its rights: \(error)")
                }
            }
            deliver()
            if tick % gossipEvery == 0 {
                // Every node pushes to every other: convergence is then a matter of a few rounds.
                for index in units.indices {
                    guard let digest = units[index].digest(nowMs: nowMs) else { continue }
                    for peer in nodes where peer != units[index].id {
                        network.send(digest, to: peer, isPush: true, now: tick, rng: &rng)
                    }
                }
                byzantine?.stopGrowing()
                attack(targets: honestNodes)
            }
            // A unit still recovering a lost disk finishes first: it returns nothing until then.
            recover()
            check()
            // Rights can still arrive after a unit returned what it had (a grant that was in flight): a unit keeps
            // returning until it holds none and everyone agrees.
            if converged && units.allSatisfy({ $0.available == 0 && !$0.isRecovering }) {
                conservation()
                return
            }
            if round == maxRounds - 1 { failures.append("no convergence after \(maxRounds) rounds: \(divergence)") }
        }
    }

    /// The first replica that differs from the truth, and where.
    var divergence: String {
        let truth = truth
        for (name, replica) in replicas {
            guard let replica else { return "\(name) is down" }
            for node in replica.nodes.union(truth.nodes) where !agrees(replica, of: name, on: node, with: truth) {
                return "\(name) sees \(node) as \(replica.row(node)), truth \(truth.row(node))"
            }
        }
        return "none"
    }

    /// Every replica knows exactly the true rows (a missing row and an all-zero row are the same knowledge).
    var converged: Bool {
        let truth = truth
        return replicas.allSatisfy { name, replica in
            guard let replica else { return false }
            return replica.nodes.union(truth.nodes).union(replica.rows.keys).union(truth.rows.keys)
                .allSatisfy { agrees(replica, of: name, on: $0, with: truth) }
        }
    }

    private var replicas: [(NodeID, RightsLedger?)] { [(.center, center)] + units.map { ($0.id, $0.book?.ledger) } }

    /// Whether `holder`'s `replica` has `node`'s true row. Of the byzantine node's row a unit may keep another history
    /// (it equivocated): what must agree is only its grant to the holder, which the holder sells from.
    private func agrees(_ replica: RightsLedger, of holder: NodeID, on node: NodeID, with truth: RightsLedger) -> Bool {
        if node == byzantine?.id, holder != .center {
            return replica.row(node).grantedTo[holder] == truth.row(node).grantedTo[holder]
        }
        return replica.row(node) == truth.row(node)
    }

    /// Honest units hold nothing after returning, and every unit of stock is sold, back at the center, or held by
    /// the byzantine node (what honest units granted it, which it never returns).
    private mutating func conservation() {
        let truth = truth
        let unitRights = units.reduce(Int64(0)) { $0 + truth.rights(of: $1.id) }
        if unitRights != 0 {
            let holders = units.filter { truth.rights(of: $0.id) != 0 }.map {
                "\($0.id) \(truth.rights(of: $0.id)) (recovering: \($0.isRecovering), offers \($0.available), disks lost \($0.disksLost))"
            }
            failures.append("stranded: units still hold \(unitRights) rights after returning: \(holders)")
        }
        let returned = truth.rights(of: .center)
        let taken = byzantine.map { truth.rights(of: $0.id) } ?? 0
        if truth.totalHeld + returned + taken != truth.totalMinted {
            failures.append(
                "not conserved: sold \(truth.totalHeld) + at center \(returned) + at the byzantine node \(taken) != minted \(truth.totalMinted)")
        }
    }
}
