// The config-center CLI as an operator runs it: exit codes, messages, tables, and the repo's demo files.

import FlashSaleAPI
import Foundation
import Testing
import TestSupport

extension ClusterProcessTests {
    @Suite struct CLITests {
        /// The CLI with the first admin's credential of the cluster whose config-center is at `center` (none when
        /// `cluster` is nil).
        private func cli(
            _ arguments: [String], center: String, cluster: LocalCluster? = nil
        ) async throws -> (status: Int32, out: String, err: String) {
            try await runCLI(arguments, center: center, credentialFile: cluster?.credentialFile)
        }

        @Test func unreachableConfigCenterExits69() async throws {
            let port = try freePort()
            let result = try await cli(["sale", "list"], center: "http://127.0.0.1:\(port)")
            #expect(result.status == 69)
            #expect(result.err.contains("config-center unreachable"))
        }

        /// Without a credential the CLI is refused and says how to give one; a viewer's reads but may not change;
        /// an operator removed stops working at once.
        @Test func credentialsAndRoles() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                let center = cluster.centerURL
                let anonymous = try await cli(["sale", "list"], center: center)
                #expect(anonymous.status == 1)
                #expect(anonymous.err.contains("unauthorized") && anonymous.err.contains("--credential-file"), "\(anonymous.err)")

                let added = try await cli(["operator", "add", "watcher", "--role", "viewer"], center: center, cluster: cluster)
                #expect(added.status == 0, "\(added.err)")
                let credential = added.out.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(credential.hasPrefix("fsc_") && credential.count == 68)
                let viewer = ["FLASHSALE_CENTER": center, "FLASHSALE_CREDENTIAL": credential]
                let binary = try Binaries.path("config-center")
                #expect(try await runProgram(binary, ["sale", "list"], environment: viewer).status == 0)
                let create = try await runProgram(binary, ["sale", "create", "x", "--title", "X", "--stock", "1"], environment: viewer)
                #expect(create.status == 1)
                #expect(create.err.contains("forbidden"), "\(create.err)")

                let list = try await cli(["operator", "list"], center: center, cluster: cluster)
                #expect(list.out.contains("watcher") && list.out.contains("viewer") && !list.out.contains(credential))
                #expect(try await cli(["operator", "remove", "watcher"], center: center, cluster: cluster).status == 0)
                #expect(try await runProgram(binary, ["sale", "list"], environment: viewer).status == 1)
                let last = try await cli(["operator", "remove", "admin"], center: center, cluster: cluster)
                #expect(last.status == 1 && last.err.contains("last admin"), "\(last.err)")
            }
        }

        /// A unit nobody enrolled is refused (and says why in its log); enrolled with the key `flashsale-unit key`
        /// prints, its signed heartbeats are taken. The key stays the same across restarts and only its owner reads it.
        @Test func aUnitIsAcceptedOnlyOnceEnrolledWithItsKey() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                #expect(try await cluster.cli(["region", "add", "eu-west"]).status == 0)
                try await cluster.startUnit("eu-west-1", region: "eu-west", enrol: false)
                try await eventually("the unit logs why it is refused") {
                    cluster.unitLog("eu-west-1").contains("not enrolled")
                }
                #expect(try await cluster.client.units().isEmpty, "a heartbeat registers nothing")

                let keyFile = cluster.root + "/units/eu-west-1/node.key"
                let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
                #expect(mode == 0o600)
                let printed = try await runProgram(try Binaries.path("flashsale-unit"), ["key", "--data", cluster.root + "/units/eu-west-1"])
                let again = try await runProgram(try Binaries.path("flashsale-unit"), ["key", "--data", cluster.root + "/units/eu-west-1"])
                #expect(printed.out == again.out && printed.out.count == 65)
                #expect(!cluster.unitLog("eu-west-1").contains(try String(contentsOfFile: keyFile, encoding: .utf8).prefix(64)),
                        "the private key is in no log line")

                let added = try await cluster.cli([
                    "unit", "add", "eu-west-1", "--region", "eu-west", "--url", cluster.unitURL("eu-west-1"),
                    "--public-key", printed.out.trimmingCharacters(in: .whitespacesAndNewlines),
                ])
                #expect(added.status == 0 && added.out.contains("enrolled"), "\(added.out)\(added.err)")
                try await cluster.waitForRegistration(["eu-west-1"])
                let list = try await cluster.cli(["unit", "list"])
                #expect(list.out.contains(String(printed.out.prefix(12))), "\(list.out)")

                // Withdrawn, the key no longer opens the door: the unit's heartbeats are refused again.
                let refusedBefore = cluster.unitLog("eu-west-1").components(separatedBy: "not enrolled").count
                let revoked = try await cluster.cli(["unit", "revoke", "eu-west-1"])
                #expect(revoked.status == 0 && revoked.out.contains("key withdrawn"), "\(revoked.out)\(revoked.err)")
                try await eventually("the unit's heartbeats are refused once its key is withdrawn") {
                    cluster.unitLog("eu-west-1").components(separatedBy: "not enrolled").count > refusedBefore
                }
                #expect(try await cluster.cli(["unit", "list"]).out.contains("none"))
            }
        }

        /// The orders credential and the webhook secret are read from files only their owner may read, and must be
        /// long enough to guess at no better than by chance: a unit given anything less does not start, and says why.
        @Test func aUnitRefusesExposedOrShortOrderSecrets() async throws {
            let folder = try TestRun.makeFolder("unit-secrets")
            let exposed = folder + "/exposed.secret"
            try "a-long-enough-webhook-secret".write(toFile: exposed, atomically: true, encoding: .utf8)
            chmod(exposed, 0o644)
            let short = folder + "/short.secret"
            try SecretFile.write("short", to: short)
            let base = ["--id", "eu-west-1", "--region", "eu-west", "--listen", "127.0.0.1:0", "--data", folder + "/data",
                        "--center", "http://127.0.0.1:1", "--plain-http"]
            for (flag, file, says) in [
                ("--payment-webhook-secret-file", exposed, "chmod 600"), ("--orders-credential-file", exposed, "chmod 600"),
                ("--orders-credential-file", short, "at least 16 bytes"), ("--payment-webhook-secret-file", short, "at least 16 bytes"),
            ] {
                let run = try await runProgram(try Binaries.path("flashsale-unit"), base + [flag, file], timeLimit: .seconds(30))
                #expect(run.status == 64, "\(flag) \(file): \(run.err)")
                #expect(run.err.contains(says), "\(run.err)")
            }
        }

        @Test func operatorWalkthroughWithTheDemoFiles() async throws {
            try await LocalCluster.run(walkthrough)
        }

        private func walkthrough(_ cluster: LocalCluster) async throws {
            try await cluster.startCenter()
            let center = cluster.centerURL
            let root = Binaries.packageRoot

            let cluster1 = try await cli(["apply", root + "/config-center/cluster.yaml"], center: center, cluster: cluster)
            #expect(cluster1.status == 0, "\(cluster1.err)")
            #expect(cluster1.out.contains("region eu-west"))
            try await cluster.startUnit("us-east-1", region: "us-east")
            try await cluster.waitForRegistration(["us-east-1"])

            let sale1 = try await cli(["apply", root + "/config-center/demo-sale.yaml"], center: center, cluster: cluster)
            #expect(sale1.status == 0, "\(sale1.err)")
            #expect(sale1.out.contains("demo-phone"))
            // Applying again changes nothing, even though the file's window is relative to now.
            let sale2 = try await cli(["apply", root + "/config-center/demo-sale.yaml"], center: center, cluster: cluster)
            #expect(sale2.status == 0)
            #expect(sale2.out.contains("nothing to change"))

            let status = try await cli(["status", "demo-phone"], center: center, cluster: cluster)
            #expect(status.status == 0)
            for text in ["eu-west-1", "eu-west-2", "us-east-1", "ap-south-1", "RIGHTS HELD", "stock 1000"] {
                #expect(status.out.contains(text), "status table lacks \(text):\n\(status.out)")
            }
            // 50% of 1000 over two eu-west units, 30% to us-east, 20% to ap-south.
            let json = try await cli(["status", "demo-phone", "--json"], center: center, cluster: cluster)
            #expect(json.out.contains("\"allocated\":250"))
            #expect(json.out.contains("\"allocated\":300"))
            try await cluster.waitForStock("us-east-1", sale: "demo-phone", stock: 300)

            let report = try await cli(["report", "demo-phone"], center: center, cluster: cluster)
            #expect(report.status == 0)
            #expect(report.out.contains("conserved: yes"), "\(report.out)")
            #expect(report.out.contains("minted 1000 = sold 0 + returned 0 + still at units 1000 + never allocated 0"))

            // Create, allocate, restock by hand.
            #expect(try await cli(["sale", "create", "tv", "--title", "TV", "--stock", "10", "--ends-at", "+1h"], center: center, cluster: cluster).status == 0)
            let allocated = try await cli(["allocate", "tv", "us-east=6", "ap-south=4"], center: center, cluster: cluster)
            #expect(allocated.status == 0, "\(allocated.err)")
            #expect(try await cli(["restock", "tv", "5"], center: center, cluster: cluster).status == 0)
            #expect(try await cli(["allocate", "tv", "eu-west=100%"], center: center, cluster: cluster).status == 0)
            let tv = try await cli(["status", "tv", "--json"], center: center, cluster: cluster)
            #expect(tv.out.contains("\"atCenter\":0") && tv.out.contains("\"minted\":15"))

            // Mistakes: each a clear message and exit code, and nothing changes.
            let unknown = try await cli(["status", "nope"], center: center, cluster: cluster)
            #expect(unknown.status == 1 && unknown.err.contains("unknown-sale"))
            let over = try await cli(["allocate", "tv", "us-east=1"], center: center, cluster: cluster)
            #expect(over.status == 1 && over.err.contains("allocation-exceeds-stock"))
            let percentages = try await cli(["allocate", "demo-phone", "us-east=70%", "eu-west=40%"], center: center, cluster: cluster)
            #expect(percentages.status == 1 && percentages.err.contains("invalid-allocation"))
            let mixed = try await cli(["allocate", "tv", "us-east=1", "eu-west=5%"], center: center, cluster: cluster)
            #expect(mixed.status == 64)
            let badTime = try await cli(["sale", "create", "x", "--title", "X", "--stock", "1", "--starts-at", "tomorrow"], center: center, cluster: cluster)
            #expect(badTime.status == 64)
            let duplicate = try await cli(["sale", "create", "tv", "--title", "Other", "--stock", "10"], center: center, cluster: cluster)
            #expect(duplicate.status == 1 && duplicate.err.contains("already-exists"))

            let badFile = TestRun.folder + "/bad-\(UUID().uuidString).yaml"
            try "sales:\n  - id: x\n    stock: many\n".write(toFile: badFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: badFile) }
            let bad = try await cli(["apply", badFile], center: center, cluster: cluster)
            #expect(bad.status == 65)
            #expect(try await cli(["apply", "/nonexistent.yaml"], center: center, cluster: cluster).status == 65)

            let after = try await cli(["status", "tv", "--json"], center: center, cluster: cluster)
            #expect(after.out.contains("\"atCenter\":0") && after.out.contains("\"minted\":15"))
            #expect(try await cli(["sale", "list"], center: center, cluster: cluster).out.contains("demo-phone"))
        }
    }
}
