// The folder of a local cluster: herd empties only what it made, and never touches a file or someone else's folder.

import Foundation
import Testing

@testable import Herd

struct ClusterFolderTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herd-folder-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFileOrSomeoneElsesFolderIsRefusedAndLeftAlone() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = root + "/sale.yaml"
        try Data("sales: []".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: FaultFailure.self) { try ClusterFolder(path: file).prepare() }
        #expect(FileManager.default.contents(atPath: file) == Data("sales: []".utf8))
        let theirs = root + "/theirs"
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: theirs + "/notes"))
        #expect(throws: FaultFailure.self) { try ClusterFolder(path: theirs).prepare() }
        #expect(FileManager.default.fileExists(atPath: theirs + "/notes"))
    }

    @Test func anEmptyFolderIsUsedAndHerdsOwnIsEmptiedForTheNextRun() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = ClusterFolder(path: root + "/run")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try folder.prepare()
        #expect(FileManager.default.fileExists(atPath: folder.path + "/" + ClusterFolder.marker))
        try folder.write("old", to: "logs/unit.log")
        try folder.record(pid: 1, of: "unit")  // pid 1 is never a leftover of this folder: it is left alone
        try folder.prepare()
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/logs/unit.log"), "a new run starts empty")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/pids"))
        try folder.write("text", to: "net/u")
        #expect(folder.read("net/u") == "text" && !FileManager.default.fileExists(atPath: folder.path + "/net/u.new"))
    }
}
