// The file `herd --cluster` reads: a local cluster herd starts on loopback, breaks on purpose, checks and stops.

import FlashSaleCore
import Foundation
import Yams

/// A config-center and its units on this host, each with its own data folder under `folder`, plus the cluster
/// files (sales) to apply once the units are up. Paths are relative to the file.
struct LocalClusterFile: Decodable, Sendable {
    struct Unit: Decodable, Sendable {
        var id: String
        var region: String
        /// host:port on 127.0.0.0/8.
        var listen: String
    }

    /// Data, logs and secrets of this run; emptied at every start (herd marks the folders it made and refuses
    /// to empty any other).
    var folder: String
    /// host:port of the config-center, on 127.0.0.0/8.
    var center: String
    var units: [Unit]
    /// Cluster files applied with `config-center apply` once every unit is up: the sales.
    var apply: [String]?
    /// Milliseconds between gossip rounds (the units' default when absent).
    var gossipIntervalMs: Int?

    /// Most units a file may start: the network shim holds at most 64 addresses a process may not reach.
    static let unitsMax = 60

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The file at `path`, checked, with its relative paths made absolute.
    static func load(path: String) throws(Invalid) -> LocalClusterFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read \(path)") }
        var file: LocalClusterFile
        do {
            file = try YAMLDecoder().decode(LocalClusterFile.self, from: data)
        } catch {
            throw Invalid(description: "\(path): \(error)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func absolute(_ relative: String) -> String {
            relative.hasPrefix("/") ? relative : base.appendingPathComponent(relative).standardizedFileURL.path
        }
        file.folder = absolute(file.folder)
        file.apply = file.apply?.map(absolute)
        try file.check(path: path)
        return file
    }

    private func check(path: String) throws(Invalid) {
        guard !units.isEmpty else { throw Invalid(description: "\(path): no units") }
        var ids: Set<String> = []
        var addresses: Set<LoopbackAddress> = []
        for address in [center] + units.map(\.listen) {
            guard let parsed = LoopbackAddress(address) else {
                throw Invalid(description: "\(path): '\(address)' is not host:port on 127.0.0.0/8 (herd starts clusters on loopback only)")
            }
            guard addresses.insert(parsed).inserted else { throw Invalid(description: "\(path): address \(address) is used twice") }
        }
        for unit in units {
            guard IdentifierRule.isValidID(unit.id), IdentifierRule.isValidID(unit.region) else {
                throw Invalid(description: "\(path): unit '\(unit.id)' in '\(unit.region)': ids are a-z, 0-9 and '-'")
            }
            guard ids.insert(unit.id).inserted else { throw Invalid(description: "\(path): unit '\(unit.id)' appears twice") }
        }
        guard units.count <= Self.unitsMax else { throw Invalid(description: "\(path): at most \(Self.unitsMax) units") }
        if let gossipIntervalMs, !(20...10_000).contains(gossipIntervalMs) {
            throw Invalid(description: "\(path): gossipIntervalMs must be 20-10000")
        }
    }
}
