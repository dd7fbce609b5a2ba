// A sale with TLS on every link: buyers, gossip, long-poll and heartbeats, the CLI and herd, all over HTTPS with a
// throwaway CA; and what happens to a client or a server that does not do TLS the way it should.

import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import Foundation
import NIOSSL
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct TLSClusterTests {
        /// Two units in two regions and the config-center, every one serving HTTPS with its own certificate and
        /// trusting only the cluster's CA. The sale is set up with the CLI, the units follow their configuration and
        /// report over HTTPS, gossip moves stock from the quiet region to the busy one over HTTPS, and buyers buy at
        /// the units' https:// endpoints until the stock is gone: every order is in the units' SQLite.
        @Test func aSaleRunsWithTLSOnEveryLink() async throws {
            try await LocalCluster.run(tls: true) { cluster in
                let secretFile = cluster.root + "/cluster-secret"
                try SecretFile.write("a-test-cluster-secret-of-some-length", to: secretFile)
                try await cluster.startCenter(extraArguments: ["--cluster-secret-file", secretFile])
                #expect(cluster.centerURL.hasPrefix("https://"))
                for region in ["eu-west", "us-east"] {
                    let added = try await cluster.cli(["region", "add", region])
                    try #require(added.status == 0, "region add over HTTPS: \(added.err)")
                }
                let gossip = ["--cluster-secret-file", secretFile, "--gossip-interval-ms", "100"]
                try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: gossip)
                try await cluster.startUnit("us-east-1", region: "us-east", extraArguments: gossip)
                // Heartbeats are signed and sent over HTTPS: the config-center sees both units report in.
                try await cluster.waitForRegistration(["eu-west-1", "us-east-1"])
                let listed = try await cluster.client.units()
                #expect(listed.allSatisfy { $0.url?.hasPrefix("https://") == true }, "\(listed.map(\.url))")

                let create = try await cluster.cli(["sale", "create", "tv", "--title", "TV", "--stock", "20"])
                try #require(create.status == 0, "sale create: \(create.err)")
                let allocate = try await cluster.cli(["allocate", "tv", "eu-west=10", "us-east=10"])
                try #require(allocate.status == 0, "allocate: \(allocate.err)")
                // The configuration reached both units by long-poll over HTTPS.
                try await cluster.waitForStock("eu-west-1", sale: "tv", stock: 10)
                try await cluster.waitForStock("us-east-1", sale: "tv", stock: 10)

                // Every buyer comes to eu-west-1: its own 10 sell, then the stock gossip brings from us-east-1.
                var created = 0
                var request = 0
                let deadline = Date().addingTimeInterval(120)
                while created < 20, request < 5_000, Date() < deadline {
                    request += 1
                    let answer = try await cluster.purchase(at: "eu-west-1", sale: "tv", user: "tls-buyer-\(request)")
                    if answer.status == 201 { created += 1 } else { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(created == 20, "all 20 sold at eu-west-1 over HTTPS (\(request) requests)")
                let stored = try cluster.stored("eu-west-1", sale: "tv")
                #expect(stored.orders == 20)
                #expect(stored.received >= 20, "gossip over HTTPS brought us-east-1's stock (received \(stored.received))")
                try await eventually("the config-center's account sees the 20 orders") {
                    try await cluster.client.status(sale: "tv").sold == 20
                }
            }
        }

        /// The connection guard stands in front of TLS: a client that starts a handshake and never finishes it is
        /// closed after the request timeout, and one that never sends a byte after the idle timeout, so half-open
        /// handshakes cannot hold a server's connections.
        @Test func aHandshakeThatNeverEndsIsClosed() async throws {
            try await LocalCluster.run(tls: true) { cluster in
                try await cluster.startCenter(extraArguments: ["--request-timeout-seconds", "1", "--idle-timeout-seconds", "2"])
                let stalled = try #require(Loopback.connect(to: cluster.centerPort))
                let silent = try #require(Loopback.connect(to: cluster.centerPort))
                defer {
                    close(stalled)
                    close(silent)
                }
                // The first bytes of a TLS record header (handshake, TLS 1.0 record version), then nothing more.
                _ = [UInt8]([0x16, 0x03, 0x01, 0x00]).withUnsafeBytes { send(stalled, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                #expect(Loopback.isOpen(stalled) && Loopback.isOpen(silent))
                // Generous: the guard's 1 s and 2 s, on a machine that may be busy with other suites.
                try await eventually("both connections closed by the server", seconds: 60) {
                    !Loopback.isOpen(stalled) && !Loopback.isOpen(silent)
                }
                // And the server still answers others.
                #expect(try await cluster.get(cluster.centerURL + "/healthz").status == 200)
            }
        }

        /// Nothing falls back to plain text or trusts a stranger: a plain-HTTP request to an HTTPS port gets no
        /// answer, a client that does not trust the cluster's CA cannot connect, and a server given neither a
        /// certificate nor --plain-http does not start.
        @Test func noPlainTextAndNoStrangerCertificates() async throws {
            try await LocalCluster.run(tls: true) { cluster in
                try await cluster.startCenter()
                let healthz = "127.0.0.1:\(cluster.centerPort)/healthz"
                #expect(try await cluster.get("https://" + healthz).status == 200)

                let plain = HTTPClient(eventLoopGroupProvider: .singleton)
                await #expect(throws: (any Error).self) {
                    _ = try await plain.execute(HTTPClientRequest(url: "http://" + healthz), timeout: .seconds(10))
                }
                // The system's trust store does not know the throwaway CA.
                await #expect(throws: (any Error).self) {
                    _ = try await plain.execute(HTTPClientRequest(url: "https://" + healthz), timeout: .seconds(10))
                }
                try await plain.shutdown()

                // The CLI without the CA refuses the config-center's certificate and says it cannot reach it (69).
                let untrusting = try await runCLI(["sale", "list"], center: cluster.centerURL, credentialFile: cluster.credentialFile)
                #expect(untrusting.status == 69, "\(untrusting.err)")

                let folder = try TestRun.makeFolder("no-tls")
                let unit = try await runProgram(
                    try Binaries.path("flashsale-unit"),
                    ["--id", "eu-west-1", "--region", "eu-west", "--listen", "127.0.0.1:0", "--data", folder + "/data",
                     "--center", cluster.centerURL], timeLimit: .seconds(30))
                #expect(unit.status == 64, "\(unit.err)")
                #expect(unit.err.contains("--plain-http"), "\(unit.err)")
                let center = try await runProgram(
                    try Binaries.path("config-center"), ["serve", "--listen", "127.0.0.1:0", "--data", folder + "/center"],
                    timeLimit: .seconds(30))
                #expect(center.status == 64, "\(center.err)")
                #expect(center.err.contains("--tls-cert"), "\(center.err)")

                // A private key others may read is refused, as every secret file is.
                let tls = try #require(cluster.tlsFolder)
                let exposedKey = folder + "/exposed.key"
                try FileManager.default.copyItem(atPath: tls + "/center.key", toPath: exposedKey)
                chmod(exposedKey, 0o644)
                let exposed = try await runProgram(
                    try Binaries.path("config-center"),
                    ["serve", "--listen", "127.0.0.1:0", "--data", folder + "/center", "--tls-cert", tls + "/center.pem",
                     "--tls-key", exposedKey], timeLimit: .seconds(30))
                #expect(exposed.status == 64, "\(exposed.err)")
                #expect(exposed.err.contains("chmod 600"), "\(exposed.err)")
            }
        }
    }
}
