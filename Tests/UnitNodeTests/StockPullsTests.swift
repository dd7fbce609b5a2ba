// When a dry unit tells its buyers to try again in a second rather than later.

import FlashSaleCore
import Testing
@testable import UnitNode

@Suite struct StockPullsTests {
    let sale = "sale-1"

    func pulls(lastAsk: PullRule.Ask? = nil) -> StockPulls {
        let pulls = StockPulls(rule: PullRule())
        if let lastAsk { pulls.noteAsk(sale: sale, lastAsk) }
        return pulls
    }

    func ask(atMs: Int64, promising: Bool) -> PullRule.Ask {
        PullRule.Ask(atMs: atMs, receivedAtAsk: 0, fruitless: 0, promising: promising)
    }

    @Test func anAskToAPeerWithStockIsUnderwayForASecond() {
        let pulls = pulls(lastAsk: ask(atMs: 10_000, promising: true))
        #expect(pulls.isUnderway(sale: sale, nowMs: 10_000))
        #expect(pulls.isUnderway(sale: sale, nowMs: 10_999))
        #expect(!pulls.isUnderway(sale: sale, nowMs: 11_000))
        #expect(!pulls.isUnderway(sale: "another-sale", nowMs: 10_500))
    }

    @Test func anAskToPeersWithoutStockIsNot() {
        let pulls = pulls(lastAsk: ask(atMs: 10_000, promising: false))
        #expect(!pulls.isUnderway(sale: sale, nowMs: 10_100))
        pulls.wantStock()
        #expect(!pulls.isUnderway(sale: sale, nowMs: 10_100), "a ring changes nothing: the last ask found no stock")
        #expect(!pulls.isUnderway(sale: sale, nowMs: 12_000), "nor later: the last ask found no stock")
    }

    /// The gossiper has not come to a buyer's ring yet (a loaded machine): the ask is about to be decided.
    @Test func aRingNotYetAnsweredIsAnAskAboutToGo() {
        let fresh = pulls()
        #expect(!fresh.isUnderway(sale: sale, nowMs: 10_000), "no ask and no ring")
        fresh.wantStock()
        #expect(fresh.isUnderway(sale: sale, nowMs: 10_000))
        fresh.wants.answer()
        #expect(!fresh.isUnderway(sale: sale, nowMs: 10_000), "the gossiper came to it and did not ask")

        let stale = pulls(lastAsk: ask(atMs: 10_000, promising: true))
        #expect(!stale.isUnderway(sale: sale, nowMs: 12_000))
        stale.wantStock()
        #expect(stale.isUnderway(sale: sale, nowMs: 12_000))
    }

    /// A clock set back: an ask "later than now" is not a recent one.
    @Test func anAskFromTheFutureIsNotRecent() {
        let pulls = pulls(lastAsk: ask(atMs: 10_000, promising: true))
        #expect(!pulls.isUnderway(sale: sale, nowMs: 9_000))
    }
}
