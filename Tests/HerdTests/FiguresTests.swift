// Numbers and the progress line as people read them.

import Testing

@testable import Herd

struct FiguresTests {
    @Test func groupsThousandsAndRoundsDecimals() {
        #expect(Figures.grouped(0) == "0")
        #expect(Figures.grouped(999) == "999")
        #expect(Figures.grouped(1_000) == "1,000")
        #expect(Figures.grouped(-1_234_567) == "-1,234,567")
        #expect(Figures.decimal(3.14159, places: 2) == "3.14")
        #expect(Figures.decimal(0.05, places: 1) == "0.1")
        #expect(Figures.decimal(1_234.5, places: 0) == "1,235")
        #expect(Figures.decimal(-2.25, places: 1) == "-2.3")
        #expect(Figures.decimal(2.0, places: 2) == "2.00")
        #expect(Figures.decimal(.nan) == "-")
    }

    @Test func progressLineShowsTheBarAndRates() {
        let line = ProgressLine(buyersDone: 2_310, buyersTotal: 5_000, orders: 1_200, requests: 7_800, elapsedMilliseconds: 2_000, phase: "buyers")
        #expect(line.render() == "[###########-------------] 2,310/5,000 buyers  1,200 orders  3,900 req/s  2.0 s")
        let minting = ProgressLine(
            buyersDone: 9, buyersTotal: 9, orders: 0, requests: 0, elapsedMilliseconds: 300, phase: "tokens", showsSales: false)
        #expect(minting.render() == "[########################] 9/9 tokens  0.3 s")
    }

    @Test func onlyFiguresAreRightAligned() {
        let table = TextTable(["CHECK", "DETAIL", "N"], [["a", "3 units, 40 orders", "7"], ["bb", "x", "1,234"]]).render()
        #expect(table == "CHECK  DETAIL                  N\na      3 units, 40 orders      7\nbb     x                   1,234")
        #expect(TextTable.isFigure("-1,234.5") && !TextTable.isFigure("3 units") && !TextTable.isFigure("-"))
    }
}
