// RightsLedger merge: a join (commutative, associative, idempotent), and a seeded simulation of replicas
// that act on their own view and exchange rows through a lossy, duplicating, reordering network.

import FlashSaleCore
import Testing
import TestSupport

@Suite("RightsLedger merge")
struct RightsLedgerMergeTests {
    static let nodes: [NodeID] = [.center, "u-1", "u-2", "u-3"]

    static func merged(_ a: RightsLedger, _ b: RightsLedger) -> RightsLedger {
        var result = a
        result.merge(b)
        return result
    }

    @Test("merging folds in rows by pointwise max and adds rows it lacked")
    func mergeExample() {
        var a = RightsLedger(rows: [
            .center: LedgerRow(minted: 10, grantedTo: ["u-1": 4]),
            "u-1": LedgerRow(consumed: 1),
        ])
        let b = RightsLedger(rows: [
            .center: LedgerRow(minted: 10, grantedTo: ["u-1": 6, "u-2": 2]),
            "u-2": LedgerRow(consumed: 2),
        ])
        a.merge(b)
        #expect(a.rows == [
            .center: LedgerRow(minted: 10, grantedTo: ["u-1": 6, "u-2": 2]),
            "u-1": LedgerRow(consumed: 1),
            "u-2": LedgerRow(consumed: 2),
        ])
        #expect(a.rights(of: "u-1") == 5)
        #expect(a.rights(of: "u-2") == 0)
        #expect(a.rights(of: .center) == 2)
    }

    @Test("merging an older copy of a row changes nothing")
    func mergeStaleRow() throws {
        var ledger = try Fixture.ledger(minted: 10, grants: ["u-1": 3])
        let stale = ledger.row(.center)
        try ledger.grant(4, from: .center, to: "u-2")
        let before = ledger
        ledger.merge(stale, of: .center)
        ledger.merge(RightsLedger(rows: [.center: stale]))
        #expect(ledger == before)
        #expect(ledger.rights(of: "u-2") == 4)
    }

    @Test("merge is commutative, associative and idempotent on random ledgers")
    func joinLaws() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<400 {
            let a = Fixture.randomLedger(&rng, nodes: Self.nodes)
            let b = Fixture.randomLedger(&rng, nodes: Self.nodes)
            let c = Fixture.randomLedger(&rng, nodes: Self.nodes)
            let ab = Self.merged(a, b)
            #expect(ab == Self.merged(b, a), "commutative, round \(round)")
            #expect(Self.merged(ab, c) == Self.merged(a, Self.merged(b, c)), "associative, round \(round)")
            #expect(Self.merged(a, a) == a, "idempotent, round \(round)")
            #expect(Self.merged(ab, b) == ab, "absorbs, round \(round)")
            for node in Self.nodes {
                #expect(ab.row(node).dominates(a.row(node)) && ab.row(node).dominates(b.row(node)), "round \(round)")
            }
            // Row by row, in any order, gives the same as whole ledgers.
            var byRows = a
            for (node, row) in rng.shuffled(Array(b.rows)) { byRows.merge(row, of: node) }
            #expect(byRows == ab, "round \(round)")
        }
    }

    /// One copy of `owner`'s row travelling to replica `to`.
    struct Message {
        let to: Int
        let owner: NodeID
        let row: LedgerRow
    }

    @Test("replicas acting on their own view and gossiping rows in random order never oversell and converge")
    func simulation() {
        let nodes = Self.nodes
        var totalOps = (grants: 0, refusedGrants: 0, consumes: 0, refusedConsumes: 0, releases: 0, refusedReleases: 0)
        for seed in UInt64(1)...300 {
            var rng = SplitMix64(seed: seed)
            var replicas = [RightsLedger](repeating: RightsLedger(), count: nodes.count)
            // Each node's own row as the node itself wrote it: the authoritative copy.
            var own = [LedgerRow](repeating: LedgerRow(), count: nodes.count)
            var network: [Message] = []
            var minted: Int64 = 0
            var held: Int64 = 0
            let steps = rng.int(20...120)

            for step in 0..<steps {
                let where_ = "seed \(seed) step \(step)"
                let action = rng.int(0...99)
                // Minting is mostly tried by the center; everything else mostly by a node that holds rights.
                let holders = (0..<nodes.count).filter { replicas[$0].rights(of: nodes[$0]) > 0 }
                let i: Int
                if action < 10 {
                    i = rng.chance(80) ? 0 : rng.int(0...(nodes.count - 1))
                } else if !holders.isEmpty && rng.chance(60) {
                    i = rng.pick(holders)
                } else {
                    i = rng.int(0...(nodes.count - 1))
                }
                let node = nodes[i]
                let before = replicas[i]
                let rights = before.rights(of: node)
                // Mostly an amount the node can afford (when it holds any), sometimes one it cannot.
                func amount(within limit: Int64) -> Int64 {
                    limit > 0 && rng.chance(75) ? rng.int64(1...limit) : rng.int64((max(limit, 0) + 1)...(max(limit, 0) + 4))
                }
                switch action {
                case 0..<10:  // mint, or a unit's refused attempt to mint
                    let amount = rng.int64(1...40)
                    do {
                        try replicas[i].mint(amount, by: node)
                        #expect(node == .center, "\(where_)")
                        minted += amount
                        #expect(replicas[i].rights(of: node) == rights + amount, "\(where_)")
                    } catch {
                        #expect(error == .onlyCenterMints(node), "\(where_)")
                        #expect(replicas[i] == before, "\(where_)")
                    }
                case 10..<35:  // grant, sometimes more than the node holds
                    let others = nodes.filter { $0 != node }
                    let to = rng.pick(others)
                    let amount = amount(within: rights)
                    let toRights = before.rights(of: to)
                    do {
                        try replicas[i].grant(amount, from: node, to: to)
                        #expect(amount <= rights, "\(where_)")
                        #expect(replicas[i].rights(of: node) == rights - amount, "\(where_)")
                        #expect(replicas[i].rights(of: to) == toRights + amount, "\(where_)")
                        totalOps.grants += 1
                    } catch {
                        #expect(error == .insufficientRights(node: node, held: rights, wanted: amount), "\(where_)")
                        #expect(replicas[i] == before, "\(where_)")
                        totalOps.refusedGrants += 1
                    }
                case 35..<55:  // sell
                    let amount = amount(within: rights)
                    do {
                        try replicas[i].consume(amount, at: node)
                        #expect(amount <= rights, "\(where_)")
                        #expect(replicas[i].rights(of: node) == rights - amount, "\(where_)")
                        held += amount
                        totalOps.consumes += 1
                    } catch {
                        #expect(error == .insufficientRights(node: node, held: rights, wanted: amount), "\(where_)")
                        #expect(replicas[i] == before, "\(where_)")
                        totalOps.refusedConsumes += 1
                    }
                case 55..<65:  // orders expire
                    let holding = before.row(node).held
                    let amount = amount(within: holding)
                    do {
                        try replicas[i].release(amount, at: node)
                        #expect(amount <= holding, "\(where_)")
                        #expect(replicas[i].rights(of: node) == rights + amount, "\(where_)")
                        held -= amount
                        totalOps.releases += 1
                    } catch {
                        #expect(error == .releaseExceedsHeld(node: node, held: holding, wanted: amount), "\(where_)")
                        #expect(replicas[i] == before, "\(where_)")
                        totalOps.refusedReleases += 1
                    }
                case 65..<82:  // send a few rows this replica knows (its own or relayed) to another replica
                    let to = rng.pick(Array(0..<nodes.count).filter { $0 != i })
                    for (owner, row) in rng.shuffled(Array(replicas[i].rows)) where rng.chance(70) {
                        network.append(Message(to: to, owner: owner, row: row))
                    }
                default:  // the network delivers, duplicates or loses one message, in any order
                    guard !network.isEmpty else { break }
                    let index = rng.int(0...(network.count - 1))
                    let message = network[index]
                    if !rng.chance(20) { network.remove(at: index) }  // else: stays, to be delivered again
                    if !rng.chance(10) { replicas[message.to].merge(message.row, of: message.owner) }  // else: lost
                }
                own[i] = replicas[i].row(node)

                // Every replica: its own row is the authoritative one, and its own rights never go negative.
                for (j, replica) in replicas.enumerated() {
                    #expect(replica.row(nodes[j]) == own[j], "\(where_) replica \(j)")
                    #expect(replica.rights(of: nodes[j]) >= 0, "\(where_) replica \(j)")
                    let sum = nodes.reduce(Int64(0)) { $0 + replica.rights(of: $1) }
                    #expect(sum + replica.totalHeld == replica.totalMinted, "\(where_) replica \(j)")
                }
                // The replica that has merged every row: conservation, nothing negative, nothing oversold.
                var all = RightsLedger()
                for replica in replicas { all.merge(replica) }
                var truth = RightsLedger()
                for (j, row) in own.enumerated() where row != LedgerRow() { truth.merge(row, of: nodes[j]) }
                #expect(all == truth, "\(where_)")
                #expect(all.totalMinted == minted, "\(where_)")
                #expect(all.totalHeld == held, "\(where_)")
                let sum = nodes.reduce(Int64(0)) { $0 + all.rights(of: $1) }
                #expect(sum + all.totalHeld == all.totalMinted, "\(where_)")
                for (j, node) in nodes.enumerated() {
                    #expect(all.rights(of: node) >= 0, "\(where_) node \(node)")
                    // A node's own view is conservative: grants it has not heard of only add to its rights.
                    #expect(all.rights(of: node) >= replicas[j].rights(of: node), "\(where_) node \(node)")
                }
            }

            // Deliver what is left in random order, then a full exchange of every row in random order.
            for message in rng.shuffled(network) { replicas[message.to].merge(message.row, of: message.owner) }
            let snapshot = replicas
            for j in rng.shuffled(Array(0..<replicas.count)) {
                for k in rng.shuffled(Array(0..<snapshot.count)) where k != j {
                    for (owner, row) in rng.shuffled(Array(snapshot[k].rows)) { replicas[j].merge(row, of: owner) }
                }
            }
            for replica in replicas.dropFirst() { #expect(replica == replicas[0], "seed \(seed) after exchange") }
            let final = replicas[0]
            let sum = nodes.reduce(Int64(0)) { $0 + final.rights(of: $1) }
            #expect(sum + final.totalHeld == final.totalMinted, "seed \(seed)")
            #expect(final.totalMinted == minted && final.totalHeld == held, "seed \(seed)")
            for node in nodes { #expect(final.rights(of: node) >= 0, "seed \(seed) node \(node)") }
        }
        // The generator really exercised both sides of every check.
        #expect(totalOps.grants > 1_000 && totalOps.refusedGrants > 1_000)
        #expect(totalOps.consumes > 800 && totalOps.refusedConsumes > 1_000)
        #expect(totalOps.releases > 300 && totalOps.refusedReleases > 500)
    }
}
