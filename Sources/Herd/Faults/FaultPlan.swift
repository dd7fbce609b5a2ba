// When each fault of a rehearsal strikes, what it strikes and for how long: drawn from a seed, before the crowd.

import Foundation

/// The faults of one rehearsal, in the order they strike. Pure: the same kinds, seed, span and cluster give the
/// same plan, printed in the report, so a run that found something can be repeated with `--fault-seed`.
struct FaultPlan: Codable, Equatable, Sendable {
    /// One planned fault.
    struct Fault: Codable, Equatable, Sendable {
        var kind: FaultKind
        /// The unit it strikes (kill, pause, clock-jump); nil for the config-center and a region.
        var unit: String?
        /// The region it cuts off (cut-region).
        var region: String? = nil
        /// When it strikes, in milliseconds after the crowd starts.
        var atMilliseconds: Int
        /// How long until it is undone.
        var forMilliseconds: Int
        /// For a clock jump: the step, in seconds (negative: back).
        var clockStepSeconds: Int?

        /// The unit's id, the region's, or `config-center`.
        var targetName: String { region ?? unit ?? "config-center" }

        /// "kill", "pause", "clock-jump +312 s": the kind, with the step of a clock jump.
        var label: String {
            guard kind == .clockJump, let step = clockStepSeconds else { return kind.rawValue }
            return "\(kind.rawValue) \(step >= 0 ? "+" : "")\(step) s"
        }
    }

    struct Invalid: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    static let perKindMax = 10
    /// Shortest and longest time a fault lasts: longer than a few gossip rounds (200 ms), so peers notice; shorter
    /// than a sale's crowd, so the rehearsal sees the cluster heal.
    static let durationMilliseconds = 500...2_000
    /// How long `down` keeps a unit down: past the config-center's default `--retire-after` (5 s) and a report or two.
    static let downMilliseconds = 8_000...10_000
    /// A clock step is 30 s to 10 minutes either way: past the skew a token check allows, inside a sale's window.
    static let clockStepSeconds = 30...600
    /// No fault strikes in the first 200 ms: the crowd is under way first.
    static let firstMilliseconds = 200
    /// Pause between two faults on one process, so each is seen on its own.
    static let gapMilliseconds = 200

    var seed: UInt64
    /// Faults start within this many milliseconds of the crowd's start.
    var spanMilliseconds: Int
    var faults: [Fault]

    /// Draws the plan: each fault's start uniformly within the span, its target among the processes not already
    /// broken at that moment (when all are, it waits for the first to heal), its duration and, for a clock jump, its step.
    /// `regionOfUnit` names each unit's region: `down` strikes only units whose region has another unit.
    init(
        counts: [FaultKind: Int], seed: UInt64, spanMilliseconds: Int, units: [String], regions: [String] = [],
        regionOfUnit: [String: String] = [:]
    ) throws(Invalid) {
        for kind in counts.keys where Self.targets(of: kind, units: units, regions: regions, regionOfUnit: regionOfUnit).isEmpty {
            let what = switch kind {
            case .cutRegion: "region"
            case .down: "unit with another unit in its region"
            default: "unit"
            }
            throw Invalid(description: "the cluster has no \(what) to break")
        }
        var random = SeededGenerator(seed: seed)
        let span = max(spanMilliseconds, Self.firstMilliseconds)
        var drawn: [(kind: FaultKind, at: Int)] = []
        for kind in counts.keys.sorted() {
            for _ in 0..<counts[kind, default: 0] {
                drawn.append((kind, Int.random(in: Self.firstMilliseconds...span, using: &random)))
            }
        }
        drawn.sort { ($0.at, $0.kind) < ($1.at, $1.kind) }
        var busyUntil: [Target: Int] = [:]
        var faults: [Fault] = []
        for draw in drawn {
            let candidates = Self.targets(of: draw.kind, units: units, regions: regions, regionOfUnit: regionOfUnit)
            let free = candidates.filter { busyUntil[$0, default: Int.min] <= draw.at }
            var at = draw.at
            // `candidates` is never empty: checked above.
            guard let target = free.randomElement(using: &random)
                ?? candidates.min(by: { busyUntil[$0, default: 0] < busyUntil[$1, default: 0] })
            else { continue }
            if free.isEmpty { at = busyUntil[target, default: at] }
            let duration = Int.random(in: draw.kind == .down ? Self.downMilliseconds : Self.durationMilliseconds, using: &random)
            var step: Int?
            if draw.kind == .clockJump {
                let size = Int.random(in: Self.clockStepSeconds, using: &random)
                step = Bool.random(using: &random) ? size : -size
            }
            busyUntil[target] = at + duration + Self.gapMilliseconds
            var fault = Fault(kind: draw.kind, unit: nil, atMilliseconds: at, forMilliseconds: duration, clockStepSeconds: step)
            switch target {
            case .unit(let id): fault.unit = id
            case .region(let id): fault.region = id
            case .center: break
            }
            faults.append(fault)
        }
        self.seed = seed
        self.spanMilliseconds = span
        self.faults = faults.sorted { ($0.atMilliseconds, $0.targetName) < ($1.atMilliseconds, $1.targetName) }
    }

    /// What one fault can strike; each is broken by one fault at a time.
    enum Target: Hashable, Comparable {
        case center
        case unit(String)
        case region(String)
    }

    /// What a fault of `kind` may strike, in a fixed order (so the draw does not depend on the caller's order).
    static func targets(of kind: FaultKind, units: [String], regions: [String], regionOfUnit: [String: String] = [:]) -> [Target] {
        switch kind {
        case .pauseCenter: [.center]
        case .cutRegion: regions.sorted().map(Target.region)
        case .kill, .pause, .clockJump: units.sorted().map(Target.unit)
        case .down:
            units.filter { unit in
                guard let region = regionOfUnit[unit] else { return false }
                return units.contains { $0 != unit && regionOfUnit[$0] == region }
            }.sorted().map(Target.unit)
        }
    }
}
