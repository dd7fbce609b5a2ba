// When the config-center retires a silent owner: the rule alone, case by case. The seeded proof drives it too.

import FlashSaleCore
import Testing

@Suite("Retiring a silent owner")
struct RetirementRuleTests {
    let rule = RetirementRule(silenceMs: 2_000)
    let view = CustodyView(owners: ["a", "b", "c"])!

    func heard(_ atMs: Int64, view: Int = 0, owed: Set<NodeID> = []) -> RetirementRule.Heard {
        RetirementRule.Heard(atMs: atMs, view: view, owed: owed)
    }

    @Test("a member silent for the whole span while the others are heard is retired; one heard recently is not")
    func silentMemberRetired() {
        let reports = ["a": heard(8_500), "b": heard(8_800), "c": heard(7_000)] as [NodeID: RetirementRule.Heard]
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 8_999) == nil)
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == "c")
    }

    @Test("nobody is retired while the config-center has not been awake for the span, or hears no other member")
    func pausedCenterOrCutRegionRetiresNobody() {
        let reports = ["a": heard(1_000), "b": heard(1_000), "c": heard(1_000)] as [NodeID: RetirementRule.Heard]
        // The config-center was paused until 8,000: silence before it woke does not count.
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 8_000, nowMs: 9_000) == nil)
        // Awake, and the whole region silent: a cut, not a dead unit.
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == nil)
    }

    @Test("nobody is retired while a member owes a copy to another, or reports an older view; owing the silent one is fine")
    func waitsForCatchUp() {
        var reports = ["a": heard(8_500, owed: ["b"]), "b": heard(8_800), "c": heard(1_000)] as [NodeID: RetirementRule.Heard]
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == nil)
        reports["a"] = heard(8_500, owed: ["c"])
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == "c")
        reports["c"] = heard(1_000, owed: ["a"])
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == nil, "c may hold acknowledged orders a lacks")
        let next = view.retiring("c")!
        // After c's retirement, b has not reported the new view yet: b cannot be retired before it has.
        reports = ["a": heard(19_500, view: 1), "b": heard(17_000, view: 0), "c": heard(1_000)]
        #expect(rule.retiree(view: next, heard: reports, awakeSinceMs: 0, nowMs: 20_000) == nil)
        reports["b"] = heard(17_000, view: 1)
        #expect(rule.retiree(view: next, heard: reports, awakeSinceMs: 0, nowMs: 20_000) == "b")
    }

    @Test("nobody is retired while another member lost the copies it kept; the silent one losing its own does not matter")
    func waitsWhileCopiesAreLost() {
        var reports: [NodeID: RetirementRule.Heard] = [
            "a": RetirementRule.Heard(atMs: 8_500, view: 0, owed: [], copiesLost: true), "b": heard(8_800), "c": heard(1_000),
        ]
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == nil)
        reports["a"] = heard(8_500)
        reports["c"] = RetirementRule.Heard(atMs: 1_000, view: 0, owed: [], copiesLost: true)
        #expect(rule.retiree(view: view, heard: reports, awakeSinceMs: 0, nowMs: 9_000) == "c")
    }

    @Test("the last member is never retired")
    func lastMemberStays() {
        let alone = view.retiring("a")!.retiring("b")!
        #expect(rule.retiree(view: alone, heard: [:], awakeSinceMs: 0, nowMs: 100_000) == nil)
    }
}
