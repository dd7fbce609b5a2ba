// The invariants of docs/ARCHITECTURE.md judged over what the cluster itself says after a rehearsal.

/// Checks the read-back data: nothing read twice, nobody over their limit, nothing oversold, nothing the herd
/// was promised missing, and the config-center's account closing. Pure: the same data always gives the same
/// verdicts, so a test can hand it a broken cluster and watch the right check fail.
enum ClusterChecks {
    /// Each check in report order. `acknowledged` are the ids of the orders the herd got in 201 answers.
    static func evaluate(_ data: ClusterReadBack, perUserLimit: Int, acknowledged: Set<String>) -> [ClusterCheck] {
        [
            everyUnitRead(data),
            noDuplicateOrders(data),
            perUserLimitHeld(data, limit: perUserLimit),
            noOversell(data),
            nothingLost(data, acknowledged: acknowledged),
            conservation(data),
            centerAgrees(data),
        ]
    }

    static func everyUnitRead(_ data: ClusterReadBack) -> ClusterCheck {
        let unread = data.unitsUnread.sorted { $0.key < $1.key }
        return ClusterCheck(
            name: "every unit's orders read", passed: unread.isEmpty && !data.unitsRead.isEmpty,
            detail: unread.isEmpty
                ? "\(data.unitsRead.count) units, \(Figures.grouped(data.orders.count)) orders of the sale"
                : "not read: " + unread.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
    }

    /// Invariant 4's visible half: one order id is one order, listed by one unit once.
    static func noDuplicateOrders(_ data: ClusterReadBack) -> ClusterCheck {
        var seen: Set<String> = []
        var twice: Set<String> = []
        for order in data.orders where !seen.insert(order.id).inserted { twice.insert(order.id) }
        return ClusterCheck(
            name: "no order twice", passed: twice.isEmpty,
            detail: twice.isEmpty ? "\(Figures.grouped(seen.count)) distinct order ids" : "listed more than once: " + sample(twice))
    }

    /// Invariant 5: across the whole cluster, no buyer holds more than the sale allows.
    static func perUserLimitHeld(_ data: ClusterReadBack, limit: Int) -> ClusterCheck {
        var held: [String: Set<String>] = [:]
        for order in data.liveOrders { held[order.user, default: []].insert(order.id) }
        let over = held.filter { $0.value.count > limit }
        return ClusterCheck(
            name: "per-user limit", passed: over.isEmpty,
            detail: over.isEmpty
                ? "\(Figures.grouped(held.count)) buyers hold orders, at most \(held.values.map(\.count).max() ?? 0) each (limit \(limit))"
                : "over the limit of \(limit): " + sample(Set(over.map { "\($0.key) (\($0.value.count))" })))
    }

    /// Invariant 1: orders holding stock never exceed the stock minted.
    static func noOversell(_ data: ClusterReadBack) -> ClusterCheck {
        let live = Set(data.liveOrders.map(\.id)).count
        return ClusterCheck(
            name: "no oversell", passed: Int64(live) <= data.status.minted,
            detail: "\(Figures.grouped(live)) orders hold stock, \(Figures.grouped(data.status.minted)) minted")
    }

    /// Invariant 2: every order the herd was told it had is in its unit's log.
    static func nothingLost(_ data: ClusterReadBack, acknowledged: Set<String>) -> ClusterCheck {
        let missing = acknowledged.subtracting(data.orders.map(\.id))
        return ClusterCheck(
            name: "no acknowledged order lost", passed: missing.isEmpty,
            detail: missing.isEmpty
                ? "all \(Figures.grouped(acknowledged.count)) orders answered 201 are in the logs"
                : "\(missing.count) of \(acknowledged.count) answered 201 are missing: " + sample(missing))
    }

    /// Invariant 3, as `config-center report` states it: minted = sold + returned + at units + never allocated,
    /// and no node below zero.
    static func conservation(_ data: ClusterReadBack) -> ClusterCheck {
        let status = data.status
        let sum = status.sold + status.returned + data.atUnits + data.neverAllocated
        let negative = status.units.filter { $0.rightsHeld < 0 }.map(\.unit)
        let g = Figures.grouped as (Int64) -> String
        var detail = "minted \(g(status.minted)) = sold \(g(status.sold)) + returned \(g(status.returned))"
            + " + at units \(g(data.atUnits)) + never allocated \(g(data.neverAllocated))"
        if sum != status.minted { detail += " (the sum is \(sum))" }
        if !negative.isEmpty { detail += "; below zero: \(negative.sorted().joined(separator: ", "))" }
        return ClusterCheck(
            name: "stock conserved", passed: sum == status.minted && negative.isEmpty && data.neverAllocated >= 0,
            detail: detail)
    }

    /// The config-center's account (from the units' reports) and the units' logs tell the same story.
    static func centerAgrees(_ data: ClusterReadBack) -> ClusterCheck {
        let live = Int64(Set(data.liveOrders.map(\.id)).count)
        return ClusterCheck(
            name: "center's account matches the logs", passed: data.status.sold == live,
            detail: "center: \(Figures.grouped(data.status.sold)) orders held; logs: \(Figures.grouped(live))")
    }

    /// A few of `items`, sorted, for a readable detail line.
    private static func sample(_ items: Set<String>) -> String {
        let sorted = items.sorted()
        return sorted.prefix(5).joined(separator: ", ") + (sorted.count > 5 ? " and \(sorted.count - 5) more" : "")
    }
}
