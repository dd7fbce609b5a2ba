// herd --cluster --faults against real processes: a seeded rehearsal that kills, pauses and restarts units and
// pauses the config-center during the crowd, then finds every check of the sale still holding.

import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct HerdFaultsTests {
        /// The members of herd's --json report these tests read.
        struct Report: Decodable {
            struct Check: Decodable {
                var name: String
                var passed: Bool
                var detail: String
            }
            struct Faults: Decodable {
                struct Event: Decodable {
                    var kind: String
                    var target: String
                    var struckAtMilliseconds: Int?
                    var healedAtMilliseconds: Int?
                    var failure: String?
                }
                var seed: UInt64
                var events: [Event]
            }
            var orders: Int
            var outcomes: [String: Int]
            var checks: [Check]
            var passed: Bool
            var faults: Faults?
        }

        /// A cluster file for herd in `folder`: a config-center and four units in three regions on free ports, and a
        /// sale of `stock` with tokens, one per buyer.
        static func writeCluster(in folder: String, stock: Int) throws -> (file: String, ports: [Int]) {
            let ports = try (0..<5).map { _ in try freePort() }
            let sale = """
                sales:
                  - id: drill
                    title: Fire drill
                    stock: \(stock)
                    startsAt: now
                    endsAt: +1h
                    perUserLimit: 1
                    admission: {requireToken: true}
                    allocation: {percentages: {eu-west: 50, us-east: 30, ap-south: 20}}
                """
            try Data(sale.utf8).write(to: URL(fileURLWithPath: folder + "/sale.yaml"))
            let cluster = """
                folder: run
                center: 127.0.0.1:\(ports[0])
                units:
                  - {id: eu-west-1, region: eu-west, listen: 127.0.0.1:\(ports[1])}
                  - {id: eu-west-2, region: eu-west, listen: 127.0.0.1:\(ports[2])}
                  - {id: us-east-1, region: us-east, listen: 127.0.0.1:\(ports[3])}
                  - {id: ap-south-1, region: ap-south, listen: 127.0.0.1:\(ports[4])}
                apply: [sale.yaml]
                """
            let file = folder + "/cluster.yaml"
            try Data(cluster.utf8).write(to: URL(fileURLWithPath: file))
            return (file, ports)
        }

        static func herd(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
            let bin = URL(fileURLWithPath: try Binaries.path("herd")).deletingLastPathComponent().path
            return try await runProgram(try Binaries.path("herd"), arguments + ["--bin", bin], timeLimit: .seconds(180))
        }

        static func listening(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }

        /// 900 buyers for 300 units while two units are killed and restarted, one is paused, one's clock is stepped,
        /// a region is cut off and the config-center is paused: the whole stock sells, every check holds, every fault struck and healed, and herd stops the
        /// cluster it started.
        @Test func aSeededRehearsalWithFaultsKeepsEveryCheck() async throws {
            let folder = try TestRun.makeFolder("herd-faults")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (file, ports) = try Self.writeCluster(in: folder, stock: 300)
            let json = folder + "/report.json"
            let run = try await Self.herd([
                "--cluster", file, "--sale", "drill", "--buyers", "900", "--concurrency", "60",
                "--split", "eu-west=60,us-east=25,ap-south=15", "--faults", "kill=2,pause,pause-center,clock-jump,cut-region",
                "--fault-seed", "2026", "--fault-span", "2", "--time-limit", "90", "--settle-seconds", "15",
                "--json", json, "--quiet",
            ])
            #expect(run.status == 0, "herd failed:\n\(run.out)\n\(run.err)")
            #expect(run.out.contains("all 8 checks passed"), "\(run.out)")
            #expect(run.out.contains("faults kill=2,pause,pause-center,clock-jump,cut-region on the local cluster"), "\(run.out)")

            let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(report.passed && report.checks.count == 8)
            // (The checks are the sale's invariants read back after the faults healed, as after a rehearsal without.)
            #expect(report.checks.allSatisfy { $0.passed }, "\(report.checks.filter { !$0.passed })")
            #expect(report.orders == 300, "the whole stock sold despite the faults")
            #expect(report.outcomes["ordered"] == 300)
            let faults = try #require(report.faults)
            #expect(faults.seed == 2026)
            #expect(faults.events.map(\.kind).sorted() == ["clock-jump", "cut-region", "kill", "kill", "pause", "pause-center"])
            for event in faults.events {
                #expect(event.failure == nil, "\(event.kind) \(event.target): \(event.failure ?? "")")
                #expect(event.struckAtMilliseconds != nil && event.healedAtMilliseconds != nil)
            }
            // Faults on one target happened one after another, as planned, even when a restart ran long.
            for target in Set(faults.events.map(\.target)) {
                let own = faults.events.filter { $0.target == target }.sorted { ($0.struckAtMilliseconds ?? 0) < ($1.struckAtMilliseconds ?? 0) }
                for (earlier, later) in zip(own, own.dropFirst()) {
                    #expect((earlier.healedAtMilliseconds ?? .max) < (later.struckAtMilliseconds ?? 0), "\(target) struck while still broken")
                }
            }
            #expect(faults.events.filter { $0.kind == "pause-center" }.allSatisfy { $0.target == "config-center" })
            #expect(faults.events.filter { $0.kind == "cut-region" }.allSatisfy { ["eu-west", "us-east", "ap-south"].contains($0.target) })

            // Each killed unit started once more per kill, on the same data: its log shows every start.
            let kills = Dictionary(faults.events.filter { $0.kind == "kill" }.map { ($0.target, 1) }, uniquingKeysWith: +)
            for (unit, count) in kills {
                let log = try String(contentsOfFile: folder + "/run/logs/\(unit).log", encoding: .utf8)
                #expect(log.components(separatedBy: "Server started").count - 1 == 1 + count, "\(unit) killed \(count) times")
            }
            // Every process ran with the shim (the clock step and the cut were acknowledged by it, or the run failed).
            for name in ["config-center", "eu-west-1", "eu-west-2", "us-east-1", "ap-south-1"] {
                #expect(FileManager.default.fileExists(atPath: folder + "/run/net/\(name).ack"), "\(name)'s shim never read its file")
            }
            // herd stopped what it started.
            for port in ports { #expect(!Self.listening(port), "port \(port) still listening after herd exited") }
        }

        /// The clock shim steps CLOCK_REALTIME by the file's milliseconds, leaves a Swift program its arguments (which
        /// libfaketime does not), and steps nothing without its file.
        @Test func theClockShimStepsTheWallClockOfTheProcessItIsLoadedInto() async throws {
            let shim = URL(fileURLWithPath: try Binaries.path("herd")).deletingLastPathComponent().path + "/libFaultShim.so"
            try #require(FileManager.default.fileExists(atPath: shim), "build the FaultShim product")
            let folder = try TestRun.makeFolder("clock-shim")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let step = folder + "/step"
            try Data("-3600000\n".utf8).write(to: URL(fileURLWithPath: step))
            let before = Int(Date().timeIntervalSince1970)
            let stepped = try await runProgram(
                "/bin/date", ["+%s"], environment: ["LD_PRELOAD": shim, "FLASHSALE_FAULT_CLOCK_FILE": step])
            let seconds = try #require(Int(stepped.out.trimmingCharacters(in: .whitespacesAndNewlines)), "\(stepped)")
            #expect(abs(seconds - (before - 3_600)) <= 5, "date printed \(seconds), expected about \(before - 3_600)")
            let unstepped = try await runProgram("/bin/date", ["+%s"], environment: ["LD_PRELOAD": shim])
            #expect(abs((Int(unstepped.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) - before) <= 5)
            let help = try await runProgram(
                try Binaries.path("config-center"), ["serve", "--help"],
                environment: ["LD_PRELOAD": shim, "FLASHSALE_FAULT_CLOCK_FILE": step])
            #expect(help.out.contains("USAGE: config-center serve"), "a Swift program keeps its arguments: \(help)")
        }

        /// The network cut refuses a connect to a listed address at once, and leaves every other address alone.
        @Test func theNetworkCutRefusesConnectionsToTheAddressesItLists() async throws {
            let shim = URL(fileURLWithPath: try Binaries.path("herd")).deletingLastPathComponent().path + "/libFaultShim.so"
            try #require(FileManager.default.fileExists(atPath: shim), "build the FaultShim product")
            let folder = try TestRun.makeFolder("net-shim")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // A listener the kernel completes connections to (from its backlog) without an accept.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let port = try freePort()
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(bound == 0 && listen(fd, 8) == 0)
            let cutFile = folder + "/net"
            let probe = ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port) && echo connected"]
            try Data("127.0.0.1:\(port)\n".utf8).write(to: URL(fileURLWithPath: cutFile))
            let cut = try await runProgram("/bin/bash", probe, environment: ["LD_PRELOAD": shim, "FLASHSALE_FAULT_NET_FILE": cutFile])
            #expect(cut.status != 0 && !cut.out.contains("connected"), "\(cut)")
            #expect(cut.err.contains("unreachable"), "\(cut.err)")
            try Data("127.0.0.1:\(port + 1)\n".utf8).write(to: URL(fileURLWithPath: cutFile))
            let open = try await runProgram("/bin/bash", probe, environment: ["LD_PRELOAD": shim, "FLASHSALE_FAULT_NET_FILE": cutFile])
            #expect(open.status == 0 && open.out.contains("connected"), "\(open)")
        }

        /// herd empties only a folder it made: a folder holding anything else stops the run before any process starts.
        @Test func aFolderHerdDidNotMakeIsLeftAlone() async throws {
            let folder = try TestRun.makeFolder("herd-folder")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (file, ports) = try Self.writeCluster(in: folder, stock: 10)
            try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/run/keep.txt"))
            let run = try await Self.herd(["--cluster", file, "--sale", "drill", "--buyers", "10", "--faults", "kill", "--quiet"])
            #expect(run.status == 71, "the cluster could not start")
            #expect(run.err.contains("herd did not make it"), "\(run.err)")
            #expect(FileManager.default.fileExists(atPath: folder + "/run/keep.txt"))
            for port in ports { #expect(!Self.listening(port)) }
        }

        /// Faults need processes herd may break; asking without saying which, or mixing a started cluster with
        /// another config-center, is a usage error; a bad cluster file is a bad file.
        @Test func optionsThatCannotWorkTogetherAreRefusedBeforeAnythingStarts() async throws {
            let herd = try Binaries.path("herd")
            let noTarget = try await runProgram(herd, ["--sale", "drill", "--faults", "kill"])
            #expect(noTarget.status == 64 && noTarget.err.contains("--cluster FILE"), "\(noTarget.err)")
            for arguments in [
                ["--sale", "drill", "--faults", "="], ["--sale", "drill", "--cluster", "x.yaml", "--center", "http://127.0.0.1:1"],
                ["--sale", "drill", "--fault-seed", "3"], ["--sale", "drill", "--bin", "/tmp"],
            ] {
                let run = try await runProgram(herd, arguments)
                #expect(run.status == 64, "\(arguments): \(run.status) \(run.err)")
            }
            let folder = try TestRun.makeFolder("herd-bad-file")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try Data("folder: run\ncenter: 0.0.0.0:1\nunits: []\n".utf8).write(to: URL(fileURLWithPath: folder + "/c.yaml"))
            let badFile = try await runProgram(herd, ["--sale", "drill", "--cluster", folder + "/c.yaml"])
            #expect(badFile.status == 65, "\(badFile.err)")
        }
    }
}
