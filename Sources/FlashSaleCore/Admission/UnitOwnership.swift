// Which unit of a region owns a user, so the per-user limit needs no coordination between units.

/// Rendezvous (highest-random-weight) hashing of user ids over a region's unit ids: each unit scores the user
/// and the highest score owns them. Adding a unit moves to it only the users it now outscores; removing one
/// moves only its own users — everyone else keeps their unit, and their orders and limits with it.
///
/// The score is a hash written out here (FNV-1a 64 over UTF-8 bytes, then the SplitMix64 finalizer), not
/// Swift's `Hasher`: that one is seeded per process, and every unit, the config-center and the CLI must agree
/// on the owner, across processes, machines and releases. Changing the function reassigns every user.
public enum UnitOwnership {
    /// The unit among `units` that owns `user`, or nil when there are none. The order of `units` does not
    /// matter, nor do duplicates.
    public static func owner(of user: String, among units: [String]) -> String? {
        let userState = fnv1a(user.utf8, from: fnvOffsetBasis)
        var best: (unit: String, weight: UInt64)?
        for unit in units {
            let weight = weight(userState: userState, unit: unit)
            // Ties (practically never) go to the larger id, so the answer still does not depend on order.
            if let current = best, (current.weight, current.unit) >= (weight, unit) { continue }
            best = (unit, weight)
        }
        return best?.unit
    }

    /// The unit that scores `user` second among `units`: the one that would own them if their owner left (their
    /// guardian in `CustodyView`). Nil with fewer than two distinct units.
    public static func successor(of user: String, among units: [String]) -> String? {
        guard let first = owner(of: user, among: units) else { return nil }
        return owner(of: user, among: units.filter { $0 != first })
    }

    /// The score of `unit` for `user`: FNV-1a 64 over the UTF-8 bytes of `user`, a zero byte, and the UTF-8
    /// bytes of `unit`, then the SplitMix64 finalizer. Public so other tools can reproduce the ranking.
    public static func weight(of user: String, on unit: String) -> UInt64 {
        weight(userState: fnv1a(user.utf8, from: fnvOffsetBasis), unit: unit)
    }

    private static let fnvOffsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    /// The zero byte cannot occur in a valid id, so ("ab", "c") and ("a", "bc") hash differently.
    private static func weight(userState: UInt64, unit: String) -> UInt64 {
        let state = fnv1a(unit.utf8, from: fnv1a(CollectionOfOne(0), from: userState))
        return splitMix64Finalizer(state)
    }

    private static func fnv1a(_ bytes: some Sequence<UInt8>, from state: UInt64) -> UInt64 {
        var hash = state
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= fnvPrime
        }
        return hash
    }

    /// FNV-1a alone mixes its last bytes poorly into the high bits; units differing only in a final digit
    /// ("eu-1", "eu-2") need scores that look independent.
    private static func splitMix64Finalizer(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
