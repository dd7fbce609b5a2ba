// Who may not reach whom while regions are cut off: the lists herd writes to each process's network shim.

/// The listening addresses one process may not reach while `cut` regions are cut off. A process and another are on
/// opposite sides of a cut region when exactly one of them is in it; the config-center is in no region, so it is
/// on the far side of every cut. Pure, so the rule is tested without processes.
enum RegionCut {
    /// A process of the cluster: its region (nil for the config-center) and its listening address.
    struct Process: Equatable, Sendable {
        var region: String?
        var address: String
    }

    static func unreachable(from key: String, processes: [String: Process], cut: Set<String>) -> [String] {
        guard let mine = processes[key] else { return [] }
        return processes.filter { other, process in
            other != key && cut.contains { region in (mine.region == region) != (process.region == region) }
        }.map(\.value.address).sorted()
    }
}
