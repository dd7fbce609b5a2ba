// Push-pull gossip rounds with a few random peers at a fixed interval.

import AsyncHTTPClient
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// Every `interval`, sends this unit's signed digest (the cluster secret's signature and its own) to `fanout` random
/// peers, absorbs each peer's signed answer, then rebalances. Peers come from the configuration the unit follows
/// (cached in its SQLite), so the unit keeps gossiping when the config-center is down.
///
/// Between rounds it answers the two bells of `StockPulls` at once: when this unit runs dry (a buyer told "try
/// again", or a check every `pullCheck` that its stock will not last a round) it sends its pulse to the likeliest
/// donors (`PullRule`); when a peer's needy pulse arrives it runs the policy (`give`). A round's decision and a
/// pull's never run at once: two runs on the same pulses would give twice.
final class Gossiper: Service, Sendable {
    private let exchange: GossipExchange
    private let http: HTTPClient
    private let peers: @Sendable () -> [(id: NodeID, url: String)]
    private let interval: Duration
    private let fanout: Int
    private let metrics: UnitMetrics
    private let logger: Logger
    /// How often this unit checks whether its stock will last a round, without a buyer being refused.
    static let pullCheck = Duration.milliseconds(50)
    /// Whether a decision runs, and whether another was asked for meanwhile (run once more after it).
    private let deciding = Mutex<(running: Bool, again: Bool)>((false, false))

    init(
        exchange: GossipExchange, http: HTTPClient, peers: @escaping @Sendable () -> [(id: NodeID, url: String)],
        interval: Duration, fanout: Int, metrics: UnitMetrics, logger: Logger
    ) {
        self.metrics = metrics
        self.exchange = exchange
        self.http = http
        self.peers = peers
        self.interval = interval
        self.fanout = fanout
        self.logger = logger
    }

    func run() async throws {
        let pulls = exchange.pulls
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        await self.round()
                        try? await Task.sleep(for: self.interval)
                    }
                }
                group.addTask {
                    for await _ in pulls.wants.rings {
                        pulls.wants.answer()
                        await self.pull()
                    }
                }
                group.addTask {
                    for await _ in pulls.needs.rings {
                        pulls.needs.answer()
                        await self.give()
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.pullCheck)
                        pulls.wantStock()
                    }
                }
            }
        }
    }

    /// One round: exchanges with random peers (in parallel), then the rebalancing decision. The config-center is
    /// one of the peers when it was not heard from lately: grants between units wait for its witness.
    func round() async {
        let all = peers()
        var chosen = Array(all.shuffled().prefix(fanout))
        if !exchange.hearsFromCenter, !chosen.contains(where: { $0.id == .center }), let center = all.first(where: { $0.id == .center }) {
            chosen.append(center)
        }
        await exchange(with: chosen)
        await exchange.recovery.finishIfReady()
        await give()
        metrics.gossipRounds.increment()
    }

    /// This unit runs dry: its pulse goes at once to the peers most likely to give (`GossipExchange.donorsToAsk`),
    /// whose answer to a needy pulse is their policy run now.
    private func pull() async {
        let donors = exchange.donorsToAsk()
        guard !donors.isEmpty else { return }
        metrics.pulls.increment()
        await exchange(with: peers().filter { donors.contains($0.id) })
    }

    /// The rebalancing decision, one at a time. A decision that gave stock away tells the config-center at once (its
    /// answer carries the witness of the new grants), then the receivers (with that witness), so a grant is sellable
    /// where it went within two exchanges, not rounds.
    private func give() async {
        let first = deciding.withLock { state -> Bool in
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        guard first else { return }
        while true {
            let given = await exchange.rebalance()
            if !given.isEmpty {
                let all = peers()
                await exchange(with: all.filter { $0.id == .center })
                await exchange(with: all.filter { given.contains($0.id) })
            }
            let again = deciding.withLock { state -> Bool in
                if state.again {
                    state.again = false
                    return true
                }
                state.running = false
                return false
            }
            if !again { return }
        }
    }

    /// Exchanges with each of `peers`, in parallel.
    private func exchange(with peers: [(id: NodeID, url: String)]) async {
        await withTaskGroup(of: Void.self) { group in
            for peer in peers {
                group.addTask { await self.exchange(with: peer) }
            }
        }
    }

    private func exchange(with peer: (id: NodeID, url: String)) async {
        do {
            let (body, signature, senderSignature) = try await exchange.sealedEnvelope()
            var request = HTTPClientRequest(url: peer.url + "/v1/gossip")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: GossipSeal.header, value: signature)
            request.headers.add(name: GossipSenderSignature.header, value: senderSignature)
            request.headers.add(name: GossipSenderSignature.senderHeader, value: exchange.desk.unit.rawValue)
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(request, timeout: .seconds(2))
            let answer = Data(buffer: try await response.body.collect(upTo: 4 << 20))
            guard response.status == .ok else {
                logger.debug("gossip refused", metadata: ["peer": "\(peer.id)", "status": "\(response.status.code)"])
                return
            }
            try await exchange.receive(
                body: answer, signature: response.headers.first(name: GossipSeal.header),
                senderSignature: response.headers.first(name: GossipSenderSignature.header))
        } catch {
            logger.debug("gossip exchange failed", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
        }
    }
}
