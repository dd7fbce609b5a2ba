// The --cluster file: loopback addresses only, ids the cluster accepts, no address or unit twice.

import Foundation
import Testing

@testable import Herd

struct LocalClusterFileTests {
    static func load(_ text: String) throws -> LocalClusterFile {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herd-file-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cluster.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try LocalClusterFile.load(path: path)
    }

    static let good = """
        folder: run
        center: 127.0.0.1:7100
        units:
          - {id: eu-west-1, region: eu-west, listen: 127.0.0.1:8111}
          - {id: us-east-1, region: us-east, listen: 127.0.0.2:8111}
        apply: [sale.yaml, /abs/other.yaml]
        """

    @Test func relativePathsAreTakenFromTheFilesFolder() throws {
        let file = try Self.load(Self.good)
        #expect(file.folder.hasSuffix("/run") && file.folder.hasPrefix("/"))
        #expect(file.apply?.first?.hasSuffix("/sale.yaml") == true && file.apply?.first?.hasPrefix("/") == true)
        #expect(file.apply?.last == "/abs/other.yaml")
        #expect(file.units.map(\.id) == ["eu-west-1", "us-east-1"])
    }

    @Test func anythingButADistinctLoopbackAddressPerProcessIsRefused() {
        let bad = [
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "0.0.0.0:7100"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "10.0.0.1:7100"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "127.0.0.1:8111"),
            Self.good.replacingOccurrences(of: "127.0.0.2:8111", with: "127.0.0.1:8111"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "127.0.0.1:70000"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "localhost:7100"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "127.0.0.1:08111"),
            Self.good.replacingOccurrences(of: "127.0.0.1:7100", with: "127.0.0.01:8111"),
            Self.good.replacingOccurrences(of: "us-east-1", with: "eu-west-1"),
            Self.good.replacingOccurrences(of: "us-east-1", with: "US east"),
            "folder: run\ncenter: 127.0.0.1:7100\nunits: []\n",
            "center: 127.0.0.1:7100\n",
        ]
        for text in bad {
            #expect(throws: LocalClusterFile.Invalid.self, "\(text)") { try Self.load(text) }
        }
        #expect(LoopbackAddress("127.0.0.9:1").map { "\($0.host) \($0.port)" } == "127.0.0.9 1")
        for bad in ["127.0.0.1.5:80", "127.0.0.1:+80", "127.0.0.1:080", "127.0.0.256:80", "127.0.0:80", "127.0.0.1", "127.0.0.1:0"] {
            #expect(LoopbackAddress(bad) == nil, "\(bad)")
        }
    }
}
