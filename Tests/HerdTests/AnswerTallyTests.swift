// Counting answers per worker and merging them.

import Testing

@testable import Herd

struct AnswerTallyTests {
    @Test func mergedTalliesAddUpAndSortByStatusThenCode() {
        var first = AnswerTally()
        first.add(status: 201, code: nil)
        first.add(status: 421, code: "wrong-unit")
        first.add(status: 409, code: "already-bought", count: 2)
        var second = AnswerTally()
        second.add(status: 201, code: nil, count: 3)
        second.add(status: 0, code: "timeout")
        first.merge(second)
        #expect(first.total == 8)
        #expect(first.sorted.map(\.key.label) == ["0 timeout", "201", "409 already-bought", "421 wrong-unit"])
        #expect(first.sorted.map(\.count) == [1, 4, 2, 1])
    }
}
