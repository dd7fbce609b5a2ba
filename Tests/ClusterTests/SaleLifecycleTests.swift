// A sale run by an operator from the CLI: paused, resumed, stopped early, and closed with its account.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Testing

extension ClusterProcessTests {
    @Suite struct SaleLifecycleTests {
        @Test func pauseResumeAndAnEarlyStopReachEveryUnit() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                #expect(try await cluster.cli(["region", "add", "eu-west"]).status == 0)
                try await cluster.startUnit("eu-west-1", region: "eu-west")
                try await cluster.waitForRegistration(["eu-west-1"])
                #expect(try await cluster.cli(["sale", "create", "tv", "--title", "TV", "--stock", "10"]).status == 0)
                #expect(try await cluster.cli(["allocate", "tv", "eu-west=10"]).status == 0)
                try await cluster.waitForStock("eu-west-1", sale: "tv", stock: 10)
                #expect(try await cluster.purchase(at: "eu-west-1", sale: "tv", user: "first").status == 201)

                let paused = try await cluster.cli(["sale", "pause", "tv"])
                #expect(paused.status == 0 && paused.out.contains("paused"), "\(paused.out)\(paused.err)")
                try await eventually("the unit answers 503 sale-paused") {
                    try await cluster.purchase(at: "eu-west-1", sale: "tv", user: "during-pause").status == 503
                }
                #expect(try await cluster.cli(["sale", "resume", "tv"]).status == 0)
                try await eventually("the unit sells again") {
                    try await cluster.purchase(at: "eu-west-1", sale: "tv", user: "after-pause").status == 201
                }

                let stopped = try await cluster.cli(["sale", "stop", "tv"])
                #expect(stopped.status == 0 && stopped.out.contains("ended"), "\(stopped.out)\(stopped.err)")
                try await eventually("the unit answers 409 sale-ended") {
                    try await cluster.purchase(at: "eu-west-1", sale: "tv", user: "too-late").status == 409
                }
                #expect(try await cluster.cli(["sale", "resume", "tv"]).status == 1, "an ended sale does not resume")
                // The unit gives back its 8 unsold; the account closes.
                try await eventually("the report shows 2 sold and 8 returned, conserved") {
                    let report = try await cluster.cli(["report", "tv"]).out
                    return report.contains("minted 10 = sold 2 + returned 8 + still at units 0 + never allocated 0")
                        && report.contains("conserved: yes")
                }
            }
        }
    }
}
