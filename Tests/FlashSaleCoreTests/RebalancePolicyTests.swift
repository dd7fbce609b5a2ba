// The donor-driven rebalancing rule, case by case.

import FlashSaleCore
import Testing

@Suite("RebalancePolicy")
struct RebalancePolicyTests {
    let policy = RebalancePolicy(ratio: 2, share: 0.5, floor: 2, minimumGrant: 1, endgameTotal: 10, idleDemand: 0.05)

    func pulse(_ node: NodeID, _ available: Int64, _ demand: Double) -> Pulse {
        Pulse(node: node, available: available, demandPerSecond: demand, heartbeatMs: 0)
    }

    @Test("an idle donor gives half of its surplus to a busy peer and keeps its floor")
    func idleDonorGives() {
        let grants = policy.grants(me: pulse("a", 100, 0), peers: [pulse("b", 0, 10)])
        #expect(grants == ["b": 50])
    }

    @Test("no grant when stock would last about as long on both sides (hysteresis)")
    func hysteresis() {
        #expect(policy.grants(me: pulse("a", 30, 1), peers: [pulse("b", 20, 1)]).isEmpty)
        // After a grant that equalized them, neither gives back.
        #expect(policy.grants(me: pulse("b", 50, 10), peers: [pulse("a", 50, 10)]).isEmpty)
    }

    @Test("the neediest peer is served first and grants never exceed what the donor has")
    func neediestFirst() {
        let grants = policy.grants(me: pulse("a", 40, 0), peers: [pulse("b", 10, 1), pulse("c", 0, 5), pulse("d", 5, 0)])
        #expect(grants["c"] == 20)
        #expect(grants["d"] == nil, "a peer without demand gets nothing")
        #expect(grants.values.reduce(0, +) <= 40 - 2)
    }

    @Test("nothing to give, nobody to give to")
    func nothing() {
        #expect(policy.grants(me: pulse("a", 0, 0), peers: [pulse("b", 0, 10)]).isEmpty)
        #expect(policy.grants(me: pulse("a", 50, 0), peers: []).isEmpty)
        #expect(policy.grants(me: pulse("a", 50, 0), peers: [pulse("b", 0, 0.01)]).isEmpty)
        #expect(policy.grants(me: pulse("a", 50, 0), peers: [pulse("a", 0, 10)]).isEmpty, "never to itself")
    }

    @Test("in the end-game an idle unit hands its crumbs, floor included, to the busiest peer")
    func endgame() {
        let grants = policy.grants(me: pulse("a", 3, 0), peers: [pulse("b", 0, 2), pulse("c", 1, 9)])
        #expect(grants == ["c": 3])
    }

    @Test("a busy unit keeps what it needs")
    func busyKeeps() {
        #expect(policy.grants(me: pulse("a", 10, 10), peers: [pulse("b", 0, 10)]).values.allSatisfy { $0 <= 5 })
    }

    @Test("one purchase in an idle region pulls a few units there, not half the stock")
    func horizonCap() {
        // One buyer's attempt weighs ln 2 per second; in 5 s that is at most 4 units.
        let grants = policy.grants(me: pulse("a", 1_000, 0), peers: [pulse("b", 0, 0.69)])
        #expect(grants == ["b": 4])
        // A crowd is not capped below what equalizing gives.
        #expect(policy.grants(me: pulse("a", 1_000, 0), peers: [pulse("b", 0, 500)]) == ["b": 500])
    }

    @Test("a donor keeps a tenth of its allocation for its own buyers, at most what they buy in a quarter second")
    func allocationFloor() {
        let busy = policy.grants(me: pulse("a", 120, 400), peers: [pulse("b", 0, 1_000)], allocation: 1_000)
        #expect(busy == ["b": 20], "keeps 100 of 120, a tenth of its allocation of 1,000")
        #expect(policy.grants(me: pulse("a", 90, 400), peers: [pulse("b", 0, 1_000)], allocation: 1_000).isEmpty)
        let drifting = policy.grants(me: pulse("a", 120, 1), peers: [pulse("b", 0, 100)], allocation: 1_000)
        #expect(drifting == ["b": 60], "buyers who take 1 in a quarter second do not hold 100 back")
        let idle = policy.grants(me: pulse("a", 120, 0), peers: [pulse("b", 0, 100)], allocation: 1_000)
        #expect(idle == ["b": 60])
    }

    @Test("a unit gives nothing back to a peer that sent it stock within a second (no stock moves away and back)")
    func cooldown() {
        let two = [pulse("b", 0, 10), pulse("c", 0, 10)]
        #expect(policy.grants(me: pulse("a", 100, 0), peers: two, receivedAgoMs: ["b": 600]).keys.sorted() == ["c"])
        #expect(policy.grants(me: pulse("a", 3, 0), peers: [pulse("c", 1, 9)], receivedAgoMs: ["c": 900]).isEmpty, "not even crumbs")
        #expect(policy.grants(me: pulse("a", 100, 0), peers: two, receivedAgoMs: ["b": 1_000]).keys.sorted() == ["b", "c"])
    }
}

@Suite("PullRule")
struct PullRuleTests {
    let rule = PullRule(horizonMs: 200, idleDemand: 0.05, fanout: 2, spacingMs: 100)

    func pulse(_ node: NodeID, _ available: Int64, _ demand: Double) -> Pulse {
        Pulse(node: node, available: available, demandPerSecond: demand, heartbeatMs: 0)
    }

    @Test("a unit is needy when its stock would not last one interval at its demand")
    func needy() {
        #expect(rule.isNeedy(pulse("a", 0, 1)))
        #expect(rule.isNeedy(pulse("a", 20, 100)), "20 units last 200 ms at 100 per second")
        #expect(!rule.isNeedy(pulse("a", 21, 100)))
        #expect(!rule.isNeedy(pulse("a", 0, 0.01)), "no buyers, no need")
        #expect(rule.isNeedy(pulse("a", -3, 1)))
    }

    @Test("it asks only when others hold rights, not again before the spacing, and less often while asks bring nothing")
    func asks() {
        let dry = pulse("a", 0, 10)
        func ask(atMs: Int64, fruitless: Int = 0) -> PullRule.Ask {
            PullRule.Ask(atMs: atMs, receivedAtAsk: 40, fruitless: fruitless, promising: true)
        }
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: nil, received: 40, nowMs: 1_000))
        #expect(!rule.shouldAsk(me: dry, rightsElsewhere: 0, last: nil, received: 40, nowMs: 1_000), "sold out everywhere")
        #expect(!rule.shouldAsk(me: pulse("a", 50, 10), rightsElsewhere: 5, last: nil, received: 40, nowMs: 1_000))
        #expect(!rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 950), received: 50, nowMs: 1_000))
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 900), received: 50, nowMs: 1_000), "the last ask brought 10")
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 900, fruitless: 3), received: 40, nowMs: 1_000), "4 asks are patient")
        #expect(!rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 900, fruitless: 4), received: 40, nowMs: 1_000), "the 5th: 200 ms")
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 800, fruitless: 4), received: 40, nowMs: 1_000))
        #expect(!rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 0, fruitless: 9), received: 40, nowMs: 3_000), "at most 3.2 s")
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 0, fruitless: 9), received: 40, nowMs: 3_200))
        #expect(rule.shouldAsk(me: dry, rightsElsewhere: 5, last: ask(atMs: 5_000), received: 40, nowMs: 1_000), "a clock that went back")
        #expect(rule.fruitlessAsks(after: ask(atMs: 0, fruitless: 2), received: 40) == 3)
        #expect(rule.fruitlessAsks(after: ask(atMs: 0, fruitless: 2), received: 41) == 0)
    }

    @Test("an ask names its donors and is remembered: promising when a donor showed stock, fruitless ones counted")
    func ask() throws {
        let dry = pulse("a", 0, 10)
        let (donors, first) = try #require(rule.ask(me: dry, rightsElsewhere: 5, last: nil, received: 40, peers: [pulse("b", 9, 0)], nowMs: 1_000))
        #expect(donors == ["b"])
        #expect(first == PullRule.Ask(atMs: 1_000, receivedAtAsk: 40, fruitless: 0, promising: true))
        let (_, second) = try #require(rule.ask(me: dry, rightsElsewhere: 5, last: first, received: 40, peers: [pulse("c", 0, 1)], nowMs: 1_100))
        #expect(second == PullRule.Ask(atMs: 1_100, receivedAtAsk: 40, fruitless: 1, promising: false))
        #expect(rule.ask(me: dry, rightsElsewhere: 5, last: nil, received: 40, peers: [pulse("a", 9, 0)], nowMs: 1_000) == nil, "nobody to ask")
        #expect(rule.ask(me: dry, rightsElsewhere: 5, last: first, received: 40, peers: [pulse("b", 9, 0)], nowMs: 1_050) == nil, "too soon")
    }

    @Test("it asks the peers whose stock lasts longest, then those it has heard least of lately; never itself")
    func donors() {
        let peers = [pulse("a", 100, 0), pulse("b", 10, 100), pulse("c", 50, 1), pulse("d", 0, 0), pulse("e", 200, 0)]
        #expect(rule.donors(peers: peers, excluding: "x") == ["e", "a"])
        #expect(rule.donors(peers: peers, excluding: "e") == ["a", "c"])
        let dry = [Pulse(node: "f", available: 0, demandPerSecond: 0, heartbeatMs: 900), Pulse(node: "g", available: 0, demandPerSecond: 3, heartbeatMs: 100)]
        #expect(rule.donors(peers: dry + [pulse("c", 50, 1)], excluding: "x") == ["c", "g"])
        #expect(rule.donors(peers: [pulse("x", 9, 0)], excluding: "x").isEmpty)
    }
}

@Suite("DemandMeter and PulseBoard")
struct DemandMeterTests {
    @Test("the rate rises with attempts and halves every half-life")
    func decay() {
        var meter = DemandMeter(halfLifeMs: 1_000)
        #expect(meter.rate(atMs: 0) == 0)
        for ms in stride(from: Int64(0), to: 10_000, by: 100) { meter.record(atMs: ms) }
        let steady = meter.rate(atMs: 10_000)
        #expect(steady > 8 && steady < 12, "10 attempts per second, measured \(steady)")
        #expect(abs(meter.rate(atMs: 11_000) - steady / 2) < 0.01)
        #expect(meter.rate(atMs: 30_000) < 0.01)
    }

    @Test("demand is counted per buyer: one client retrying in a loop weighs as one buyer, a crowd as a crowd")
    func perBuyer() {
        var one = DemandMeter(halfLifeMs: 1_000)
        var crowd = DemandMeter(halfLifeMs: 1_000)
        for ms in stride(from: Int64(0), to: 10_000, by: 10) {
            one.record(buyer: "bot", atMs: ms)  // 100 attempts a second, one buyer
            crowd.record(buyer: "buyer-\(ms)", atMs: ms)  // 100 attempts a second, each a new buyer
        }
        let bot = one.rate(atMs: 10_000)
        let many = crowd.rate(atMs: 10_000)
        #expect(bot > 0.5 && bot < 2, "one buyer counts about once a second: \(bot)")
        #expect(many > 80 && many < 120, "a hundred buyers a second: \(many)")
        // Time going back (a clock step) starts a new window rather than trapping or freezing.
        one.record(buyer: "bot", atMs: 5_000)
        #expect(one.rate(atMs: 10_000) >= bot)
    }

    @Test("a newer pulse replaces an older one, never the reverse")
    func board() {
        var board = PulseBoard()
        board.record(Pulse(node: "a", available: 5, demandPerSecond: 1, heartbeatMs: 100), heardAtMs: 10)
        board.record(Pulse(node: "a", available: 9, demandPerSecond: 1, heartbeatMs: 50), heardAtMs: 20)
        #expect(board.pulses["a"]?.available == 5)
        board.record(Pulse(node: "a", available: 1, demandPerSecond: 1, heartbeatMs: 200), heardAtMs: 30)
        #expect(board.pulses["a"]?.available == 1)
        board.record(Pulse(node: "b", available: 1, demandPerSecond: 1, heartbeatMs: 0), heardAtMs: 5)
        #expect(board.fresh(atMs: 1_000, maxAgeMs: 900, excluding: "x").map(\.node) == ["a"])
        #expect(board.fresh(atMs: 1_000, maxAgeMs: 2_000, excluding: "a").map(\.node) == ["b"])
        // Heard since 25 (this node's clock): a's newest pulse was heard at 30, b's at 5.
        #expect(board.fresh(atMs: 1_000, maxAgeMs: 2_000, excluding: "x", heardSince: 25).map(\.node) == ["a"])
        #expect(board.heardAtMs["a"] == 30, "the older pulse heard at 20 was not kept, nor its time")
    }

    @Test("a unit grants only rights not promised to orders in flight, and a grant counts once it is written")
    func bookGrant() throws {
        var ledger = RightsLedger()
        try ledger.mint(5, by: .center)
        try ledger.grant(5, from: .center, to: "u")
        var book = PurchaseBook(
            unit: "u", terms: SaleTerms(id: "s", title: "S", startsAtMs: 0, endsAtMs: 10, perUserLimit: 1), ledger: ledger)
        book.hold(Order(id: OrderID(unit: "u", milliseconds: 1, sequence: 0), saleID: "s", userID: "x"))
        #expect(throws: LedgerError.self) { _ = try book.reserveGrant(5, to: "v") }
        #expect(try book.reserveGrant(3, to: "v") == 3, "the total given to v once written")
        #expect(book.available == 1)
        #expect(book.ledger.row("u").grantedTo["v"] == nil, "not given until it is written")
        book.grantAbandoned(3, to: "v")
        #expect(book.available == 4, "a grant not written gives its stock back")
        #expect(try book.reserveGrant(4, to: "v") == 4)
        #expect(book.available == 0)
        book.grantPersisted(4, to: "v")
        #expect(book.available == 0)
        #expect(book.ledger.row("u").grantedTo["v"] == 4)
        book.committed(count: 1)
        #expect(book.ledger.rights(of: "u") == 0)
    }
}
