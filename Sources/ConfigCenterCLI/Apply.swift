// `config-center apply FILE`: make the cluster match a declarative file.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a cluster file (regions, units, sales, allocations); applying it twice changes nothing.")
    @OptionGroup var options: CenterOptions
    @Argument(help: "YAML file, e.g. config-center/cluster.yaml.") var file: String

    func run() async throws {
        let document: ClusterDocument
        do {
            document = try ClusterFile.load(path: file).document(now: Date())
        } catch let error as ClusterFile.Invalid {
            printError(error.description)
            throw ExitCodes.badFile
        }
        let result = try await options.call { client throws(ConfigCenterClientError) in try await client.apply(document) }
        try options.show(result) {
            result.changes.isEmpty
                ? "nothing to change (config version \(result.version))"
                : (result.changes + ["config version \(result.version)"]).joined(separator: "\n")
        }
    }
}
