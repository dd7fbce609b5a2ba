// A seeded run of one region's units taking over the buyers of units that go down, through a faulty network.

import FlashSaleCore
import TestSupport

/// The proof of the takeover (issue 16): 2–5 units own a sale's buyers in one region under `CustodyView`s the
/// config-center moves through as it retires units it has not heard from. Buyers with a per-user limit of 1–3 buy
/// at the unit the config-center's view names (now and then an older view), retry with the same key when no answer
/// comes, and come back with new keys. The network drops, duplicates, delays and partitions; units crash and
/// restart from their disk, and some stay down for the rest of the sale.
///
/// After every step: no buyer holds more acknowledged orders than the limit, no key acknowledged two orders, and no
/// retired unit cancelled an order a buyer was told of. At the end, with every unit back and the retired ones
/// reconciled, no buyer holds more orders than the limit on all the disks together.
struct CustodySimulation {
    static let tickMs: Int64 = 50
    /// Ticks without a report after which the config-center may retire a unit (the node's `max(5 × interval, 2 s)`).
    static let retireAfterTicks = 40

    enum Payload {
        case copy(CustodyMessage)
        case verdict(CustodyMessage, CustodyVerdict)
        /// A unit's report: its view's number and the guardians it still owes a copy.
        case report(view: Int, pending: Set<NodeID>)
        /// A retired unit asks which of its orders the new owner holds a copy of, and the answer (nil: not yet).
        case question([OrderID])
        case answer(asked: [OrderID], held: [OrderID]?)
    }

    struct Message {
        let deliverAt: Int
        let from: NodeID
        let to: NodeID
        let payload: Payload
    }

    /// A buyer: the key of the attempt waiting for an answer, when one is, and how many keys they have used.
    struct Buyer {
        var key: String?
        var keysUsed = 0
        var nextTryTick = 0
    }

    let seed: UInt64
    private var rng: SplitMix64
    let limit: Int
    private(set) var units: [CustodySimUnit]
    /// The config-center's view, and what it last heard from each unit (tick, view number, pending guardians).
    private(set) var centerView: CustodyView
    private var centerViews: [CustodyView]
    private var heard: [NodeID: (tick: Int, view: Int, pending: Set<NodeID>)] = [:]
    private var inFlight: [Message] = []
    private var cut: Set<[NodeID]> = []
    private var dropPercent: Int
    private var duplicatePercent: Int
    private var maxDelay: Int
    private var buyers: [String: Buyer] = [:]
    /// Units that crash stay down for good in this run, once they go.
    private var downForGood: Set<NodeID> = []
    private(set) var tick = 0
    let calm: Bool
    /// Orders acknowledged to buyers: per user, and per user and key.
    private(set) var acknowledged: [String: Set<OrderID>] = [:]
    private var acknowledgedByKey: [String: OrderID] = [:]
    private(set) var failures: [String] = []
    /// What the runs exercised.
    private(set) var retirements = 0
    private(set) var takenOver = 0
    private(set) var cancelledUnacknowledged = 0
    private(set) var refusedBehind = 0
    /// Per buyer whose owner was retired: ticks from their first unanswered attempt to an answer at the new owner.
    private(set) var stuckTicks: [Int] = []
    private var unansweredSince: [String: Int] = [:]

    /// Buyers still waiting for an answer to an attempt made more than a retirement and a few round trips ago.
    var unansweredBuyers: Int {
        unansweredSince.values.filter { tick - $0 > Self.retireAfterTicks + 40 }.count
    }

    /// Mutation check: off, the config-center retires a silent unit without waiting for the others to catch up.
    let centerWaitsForCatchUp: Bool

    init(seed: UInt64, calm: Bool = false, waitsForGuardian: Bool = true, writesCopies: Bool = true, centerWaitsForCatchUp: Bool = true) {
        self.seed = seed
        self.centerWaitsForCatchUp = centerWaitsForCatchUp
        self.calm = calm
        var rng = SplitMix64(seed: seed)
        let count = rng.int(2...5)
        let ids = (1...count).map { NodeID("u\($0)") }
        let limit = rng.int(1...3)
        self.limit = limit
        // Built from valid owners and no retired unit: never nil.
        let view = CustodyView(owners: ids) ?? CustodyView(owners: ["u1"])!
        centerView = view
        centerViews = [view]
        units = ids.map {
            CustodySimUnit(id: $0, sale: "sale", limit: limit, view: view, waitsForGuardian: waitsForGuardian, writesCopies: writesCopies)
        }
        dropPercent = calm ? 0 : rng.int(0...30)
        duplicatePercent = calm ? 0 : rng.int(0...20)
        maxDelay = calm ? 1 : rng.int(1...6)
        for user in 0..<rng.int(20...120) { buyers["b\(user)"] = Buyer() }
        self.rng = rng
    }

    var nowMs: Int64 { Int64(tick) * Self.tickMs }

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
        deliver()
        purchases()
        unitsAct()
        centerActs()
    }

    private mutating func faults() {
        if calm { return }
        for index in units.indices {
            let id = units[index].id
            if units[index].isUp, rng.chance(1), rng.chance(40) {
                units[index].crash()
                inFlight.removeAll { $0.to == id || $0.from == id }
                // A third of the crashes are for good: the unit's buyers need the others.
                if rng.chance(33) { downForGood.insert(id) }
            } else if !units[index].isUp, !downForGood.contains(id), rng.chance(10) {
                units[index].restart()
            }
        }
        let nodes = units.map(\.id) + [.center]
        if rng.chance(2) {
            let a = rng.pick(nodes)
            let b = rng.pick(nodes)
            if a != b { cut.insert([a, b].sorted()) }
        }
        let cuts = cut.sorted { $0.map(\.rawValue).joined() < $1.map(\.rawValue).joined() }
        if rng.chance(4), let healed = cuts.randomElement(using: &rng) { cut.remove(healed) }
    }

    /// Kills unit `index` for the rest of the run (calm runs: the takeover on its own).
    mutating func killForGood(_ index: Int) {
        units[index].crash()
        downForGood.insert(units[index].id)
        inFlight.removeAll { $0.to == units[index].id || $0.from == units[index].id }
    }

    private mutating func send(_ payload: Payload, from: NodeID, to: NodeID) {
        guard !isCut(from, to), !rng.chance(dropPercent) else { return }
        let copies = rng.chance(duplicatePercent) ? 2 : 1
        for _ in 0..<copies {
            inFlight.append(Message(deliverAt: tick + rng.int(1...max(maxDelay, 1)), from: from, to: to, payload: payload))
        }
    }

    private func isCut(_ a: NodeID, _ b: NodeID) -> Bool { cut.contains([a, b].sorted()) }

    private mutating func deliver() {
        var ready = inFlight.filter { $0.deliverAt <= tick }
        inFlight.removeAll { $0.deliverAt <= tick }
        ready.shuffle(using: &rng)
        for message in ready where !isCut(message.from, message.to) {
            if message.to == .center {
                if case .report(let view, let pending) = message.payload { heard[message.from] = (tick, view, pending) }
                continue
            }
            guard let index = units.firstIndex(where: { $0.id == message.to }), units[index].isUp else { continue }
            switch message.payload {
            case .copy(let copy):
                let verdict = units[index].receive(copy, from: message.from)
                if case .refused(.senderBehind) = verdict { refusedBehind += 1 }
                send(.verdict(copy, verdict), from: message.to, to: message.from)
            case .verdict(let copy, let verdict):
                if verdict == .accepted { units[index].confirmed(copy, by: message.from) }
            case .question(let asked):
                let held = units[index].custody.heldCopies(of: asked, from: message.from)
                send(.answer(asked: asked, held: held), from: message.to, to: message.from)
            case .answer(let asked, let held):
                guard let held else { continue }
                for order in units[index].reconcile(asked: asked, held: held) {
                    cancelledUnacknowledged += 1
                    if acknowledged[order.userID]?.contains(order.id) == true {
                        failures.append("tick \(tick): \(units[index].id) cancelled \(order.id), acknowledged to \(order.userID)")
                    }
                }
            case .report:
                continue
            }
        }
    }

    /// Buyers due try at the owner under the config-center's view (one in five at an older view's), with the key of
    /// their unanswered attempt or a new one while they have keys left.
    private mutating func purchases() {
        for user in buyers.keys.sorted() {
            guard var buyer = buyers[user], buyer.nextTryTick <= tick, rng.chance(calm ? 20 : 10) else { continue }
            if buyer.key == nil {
                guard buyer.keysUsed < limit + 2 else { continue }
                buyer.keysUsed += 1
                buyer.key = "\(user)-k\(buyer.keysUsed)"
            }
            let view = rng.chance(20) ? rng.pick(centerViews) : centerView
            guard let key = buyer.key, let owner = view.owner(of: user),
                let index = units.firstIndex(where: { $0.id == owner })
            else { continue }
            buyer.nextTryTick = tick + 4
            if unansweredSince[user] == nil { unansweredSince[user] = tick }
            guard units[index].isUp else {
                buyers[user] = buyer
                continue
            }
            switch units[index].purchase(user: user, key: key, nowTick: tick) {
            case .wrongUnit, .waiting:
                break
            case .limitReached:
                buyer.key = nil
                answered(user)
            case .acknowledged(let order):
                acknowledge(user: user, key: key, order: order)
                buyer.key = nil
            }
            buyers[user] = buyer
        }
    }

    private mutating func acknowledge(user: String, key: String, order: Order) {
        acknowledged[user, default: []].insert(order.id)
        let keyed = "\(user)/\(key)"
        if let first = acknowledgedByKey[keyed], first != order.id {
            failures.append("tick \(tick): key \(key) of \(user) acknowledged \(first) and \(order.id)")
        }
        acknowledgedByKey[keyed] = order.id
        if order.id.unit != centerViews.first?.owner(of: user) { takenOver += 1 }
        answered(user)
    }

    private mutating func answered(_ user: String) {
        guard let since = unansweredSince.removeValue(forKey: user) else { return }
        if centerView.number > 0, let first = centerViews.first?.owner(of: user), first != centerView.owner(of: user) {
            stuckTicks.append(tick - since)
        }
    }

    /// Each unit up: adopts the config-center's view now and then (its long poll), answers waiting buyers whose
    /// orders are guarded, sends its copies, reports, and, once retired, asks about its reserved orders.
    private mutating func unitsAct() {
        for index in units.indices where units[index].isUp {
            let id = units[index].id
            if !isCut(id, .center), rng.chance(calm ? 50 : 25) { units[index].adopt(centerView) }
            for entry in units[index].acknowledgements() {
                if buyers[entry.user]?.key == entry.key { buyers[entry.user]?.key = nil }
                acknowledge(user: entry.user, key: entry.key, order: entry.order)
            }
            if tick % 2 == 0 {
                for (guardian, message) in units[index].custody.outbox() { send(.copy(message), from: id, to: guardian) }
            }
            if tick % 4 == 0 {
                let custody = units[index].custody
                send(.report(view: custody.view.number, pending: custody.owedGuardians), from: id, to: .center)
                for (owner, orders) in custody.reconciliation() { send(.question(orders), from: id, to: owner) }
            }
        }
    }

    /// The config-center's rule (`RetirementRule`), on what it last heard from each unit; the mutation check feeds
    /// it reports that say every member caught up.
    private mutating func centerActs() {
        let rule = RetirementRule(silenceMs: Int64(Self.retireAfterTicks) * Self.tickMs)
        var reports: [NodeID: RetirementRule.Heard] = [:]
        for (unit, last) in heard {
            reports[unit] = centerWaitsForCatchUp
                ? RetirementRule.Heard(atMs: Int64(last.tick) * Self.tickMs, view: last.view, owed: last.pending)
                : RetirementRule.Heard(atMs: Int64(last.tick) * Self.tickMs, view: centerView.number, owed: [])
        }
        guard let retiree = rule.retiree(view: centerView, heard: reports, awakeSinceMs: 0, nowMs: nowMs),
            let next = centerView.retiring(retiree)
        else { return }
        centerView = next
        centerViews.append(next)
        retirements += 1
    }

    // MARK: Invariants

    mutating func check() {
        for (user, orders) in acknowledged where orders.count > limit {
            failures.append("tick \(tick): \(user) was acknowledged \(orders.count) orders, limit \(limit): \(orders.sorted())")
        }
    }

    /// The end of the sale: the network heals, every unit comes back, buyers stop, and the units run until copies
    /// and reconciliations are done; then no buyer holds more than the limit on all disks together.
    mutating func endAndReconcile(maxTicks: Int = 400) {
        cut = []
        dropPercent = 0
        duplicatePercent = 0
        downForGood = []
        for index in units.indices where !units[index].isUp { units[index].restart() }
        for _ in 0..<maxTicks {
            tick += 1
            deliver()
            unitsAct()
            check()
            let settled = units.allSatisfy { $0.custody.reconciliation().isEmpty && $0.custody.outbox().isEmpty }
            if settled && inFlight.isEmpty { break }
        }
        var holding: [String: [OrderID]] = [:]
        for unit in units {
            for order in unit.diskOrders.values where order.status.holdsStock { holding[order.userID, default: []].append(order.id) }
        }
        for (user, orders) in holding where orders.count > limit {
            failures.append("end: \(user) holds \(orders.count) orders on the disks, limit \(limit): \(orders.sorted())")
        }
    }
}
