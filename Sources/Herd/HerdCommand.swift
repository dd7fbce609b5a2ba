// `herd`: a rehearsal of a sale with a bounded crowd of distinct buyers, and a report checked against the cluster.

import ArgumentParser
import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import Foundation

/// Parses the options and runs the phases in order: (start the cluster of --cluster,) read the cluster, mint tokens,
/// wait for the opening, fire the crowd (and the faults), read the sale back, report. Exit 0 when every check
/// passed, 1 when one failed, 64 on bad usage (a fault the cluster cannot take included), 65 on a bad file, 69 when
/// the config-center cannot be reached, 70 on an answer it cannot use, 71 when the cluster of --cluster could not
/// be started.
@main
struct HerdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herd",
        abstract: "Rehearse a sale: a bounded crowd of distinct buyers at the regional endpoints, then a report checked against the cluster.",
        discussion: """
            Reads regions, units and the sale's terms from the config-center, mints one token per buyer when the sale \
            asks for tokens, solves a proof-of-work challenge per purchase when it asks for one, and sends each buyer \
            to its region (a 421 is followed to the unit that owns the buyer; 503 and 429 are retried after \
            Retry-After). The report counts orders per region and unit, answers by code, latency percentiles and \
            throughput, then checks the sale as the cluster records it: no order twice, nobody over the per-user \
            limit, no oversell, no acknowledged order lost, stock conserved. Exits 1 when a check fails.
            """)

    @Option(help: "Config-center URL (or FLASHSALE_CENTER; default https://127.0.0.1:7000).")
    var center: String?
    @Option(help: ArgumentHelp(
        "File holding an operator credential (or FLASHSALE_CREDENTIAL_FILE; FLASHSALE_CREDENTIAL holds the credential itself).",
        discussion: "An admin's when the sale needs buyer tokens (herd mints them), else a viewer's is enough."))
    var credentialFile: String?
    @Option(help: ArgumentHelp(
        "File holding the units' orders credential (or FLASHSALE_ORDERS_CREDENTIAL_FILE), to read their order logs back.",
        discussion: "Without it the checks that compare the order logs with the config-center's account fail, saying why."))
    var ordersCredentialFile: String?
    @Option(help: "Sale id.") var sale: String
    @Option(help: "Distinct buyers in the crowd (1-1000000).") var buyers: Int = 1_000
    @Option(help: "Buyers in flight at once (1-10000).") var concurrency: Int = 100
    @Option(help: "Demand per region as weights, e.g. eu-west=60,us-east=25,ap-south=15 (default: even).")
    var split: String?
    @Option(help: "Seconds the crowd may run (1-3600); buyers without a final answer by then count as 'time limit'.")
    var timeLimit: Int = 60
    @Option(help: "Retries per buyer after 503, 429 and lost answers (0-100).") var retries: Int = 5
    @Option(help: "Buyer ids are <prefix><n> (default: herd-<random>-, so every run brings new buyers).")
    var userPrefix: String?
    @Option(help: "Seconds to wait for a sale that has not opened yet (0-3600).") var waitForStart: Int = 60
    @Option(help: "Seconds to wait for the config-center's account to catch up with the units' logs (0-60).")
    var settleSeconds: Int = 5
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "Also write the report as a self-contained HTML page (with a chart of sales per region) to this file.")
    var html: String?
    @Flag(help: "No progress bar on stderr.") var quiet = false
    @Option(help: ArgumentHelp(
        "Start a local cluster from this file, rehearse on it, stop it (deploy/herd-cluster.yaml is one).",
        discussion: "The file's config-center and units run on loopback with a fresh folder of data; --center and the credentials come from it."))
    var cluster: String?
    @Option(help: "Folder holding config-center and flashsale-unit for --cluster (default: herd's own folder).")
    var bin: String?
    @Flag(help: "Apply --faults to this host's systemd services (flashsale-unit@ID.service, config-center.service).")
    var systemd = false
    @Option(help: ArgumentHelp(
        "Faults to apply during the crowd: kill, pause, pause-center, clock-jump, cut-region, down, each with a count (e.g. kill=2,pause,cut-region).",
        discussion: "kill: kill -9 a unit, then start it on the same data; pause: SIGSTOP a unit, then SIGCONT; pause-center: the same to the config-center; clock-jump: step a unit's wall clock 30 s to 10 min ahead or back, then back; cut-region: cut a region off from the config-center and the other regions while its buyers still reach it; down: kill -9 a unit of a region with other units and keep it down 8-10 s, past the config-center's --retire-after, so its region's other units take its buyers over (these three --cluster only). The others last 0.5-2 s. Needs --cluster or --systemd."))
    var faults: String?
    @Option(help: "Seed of the fault plan (default: random; the report prints it, so a run can be repeated).")
    var faultSeed: UInt64?
    @Option(help: ArgumentHelp(
        "Faults strike within this many seconds of the crowd's start (1-600; default 3).",
        discussion: "A fault on a process still broken by the one before waits for it, so it can strike later."))
    var faultSpan: Int?
    @OptionGroup(title: "TLS") var tls: ClientTLSOptions

    /// Mint requests in flight at once: the config-center signs each token, and it is not on the purchase path.
    static let mintParallel = 16

    func validate() throws {
        guard (1...1_000_000).contains(buyers) else { throw ValidationError("--buyers must be 1-1000000") }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1-10000") }
        guard (1...3_600).contains(timeLimit) else { throw ValidationError("--time-limit must be 1-3600 seconds") }
        guard (0...100).contains(retries) else { throw ValidationError("--retries must be 0-100") }
        guard (0...3_600).contains(waitForStart) else { throw ValidationError("--wait-for-start must be 0-3600 seconds") }
        guard (0...60).contains(settleSeconds) else { throw ValidationError("--settle-seconds must be 0-60") }
        guard IdentifierRule.isValidID(sale) else { throw ValidationError("--sale is not a sale id") }
        if let userPrefix {
            guard !userPrefix.isEmpty, userPrefix.utf8.count <= 100,
                userPrefix.utf8.allSatisfy({ Self.prefixBytes.contains($0) })
            else { throw ValidationError("--user-prefix must be 1-100 characters of A-Z a-z 0-9 - _ .") }
        }
        guard (1...600).contains(faultSpan ?? 3) else { throw ValidationError("--fault-span must be 1-600 seconds") }
        guard cluster == nil || !systemd else { throw ValidationError("--cluster and --systemd exclude each other") }
        if cluster != nil {
            guard center == nil, credentialFile == nil, ordersCredentialFile == nil else {
                throw ValidationError("--cluster starts its own config-center: --center and the credential files come from it")
            }
        } else if bin != nil {
            throw ValidationError("--bin only says where --cluster finds its programs")
        }
        if faults == nil, faultSeed != nil || faultSpan != nil {
            throw ValidationError("--fault-seed and --fault-span shape --faults; give --faults too")
        }
        if let faults {
            do { _ = try FaultKind.parseList(faults) } catch { throw ValidationError("--faults: \(error)") }
            guard cluster != nil || systemd else {
                throw ValidationError("--faults needs processes herd may break: --cluster FILE (it starts them) or --systemd")
            }
        } else if systemd {
            throw ValidationError("--systemd only says where --faults apply; give --faults too")
        }
        if let split {
            do { _ = try DemandSplit(parsing: split) } catch { throw ValidationError("--split: \(error)") }
        }
    }

    /// Characters a prefix may use: safe in a user id, a URL query and an Idempotency-Key as they are.
    static let prefixBytes = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".utf8)

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, Self.mintParallel)
        configuration.tlsConfiguration = try tls.clientTLS()
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var local: LocalCluster?
        let teardown = Teardown()
        // Before anything is started or broken, so a signal at any moment leaves nothing behind.
        let signals = cluster != nil || faults != nil ? Self.undoOnSignals(teardown) : []
        let result: Result<HerdReport, any Error>
        do {
            if let cluster {
                let file: LocalClusterFile
                do { file = try LocalClusterFile.load(path: cluster) } catch {
                    Self.printError(error.description)
                    throw ExitCode(65)
                }
                if !quiet { Self.printNote("starting the cluster of \(cluster)") }
                let kinds: Set<FaultKind> = try faults.map { Set(try FaultKind.parseList($0).keys) } ?? []
                do {
                    let made = try LocalCluster.make(
                        file: file, path: cluster, bin: bin ?? Self.ownFolder(),
                        shimmed: kinds.contains(.clockJump) || kinds.contains(.cutRegion))
                    local = made
                    await teardown.adopt(made)
                    try await made.bringUp()
                } catch {
                    Self.printError("the cluster of \(cluster) did not start: \(error.description)")
                    throw ExitCode(71)
                }
            }
            result = .success(try await rehearse(http: http, local: local, teardown: teardown))
        } catch {
            result = .failure(error)
        }
        if let local {
            if !quiet { Self.printNote("stopping the cluster of \(cluster ?? "")") }
            await local.stop()
        }
        for source in signals { source.cancel() }
        try? await http.shutdown()
        let report: HerdReport
        switch result {
        case .success(let value): report = value
        case .failure(let error as ConfigCenterClientError):
            Self.printError("\(error)")
            if case .unreachable = error { throw ExitCode(69) }
            if case .refused = error { throw ExitCode(1) }
            throw ExitCode(70)
        case .failure(let error as SecretFile.Failure):
            Self.printError(error.description)
            throw ExitCode(65)
        case .failure(let error as ClusterMap.Invalid):
            Self.printError(error.description)
            throw ExitCode(1)
        case .failure(let error as DemandSplit.Invalid):
            Self.printError(error.description)
            throw ExitCode(1)
        case .failure(let error as FaultFailure):
            Self.printError(error.description)
            throw ExitCode(64)
        case .failure(let error as FaultPlan.Invalid):
            Self.printError(error.description)
            throw ExitCode(64)
        case .failure(let error):
            throw error
        }
        print(HerdReportText(report).render())
        if let json {
            let encoder = WireJSON.makeEncoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if let html { try Data(HerdReportPage(report).render().utf8).write(to: URL(fileURLWithPath: html)) }
        if !report.passed { throw ExitCode(1) }
    }

    private func rehearse(http: HTTPClient, local: LocalCluster?, teardown: Teardown) async throws -> HerdReport {
        let environment = ProcessInfo.processInfo.environment
        let center = local?.centerURL ?? self.center ?? environment["FLASHSALE_CENTER"] ?? "https://127.0.0.1:7000"
        let credential = try (local?.credentialFile ?? credentialFile ?? environment["FLASHSALE_CREDENTIAL_FILE"])
            .map { try SecretFile.read($0, what: "credential file") } ?? environment["FLASHSALE_CREDENTIAL"]
        let centerClient = ConfigCenterClient(baseURL: center, httpClient: http, credential: credential)
        // Read before the crowd runs, so a bad file stops the rehearsal before it has sold anything.
        let ordersCredential = try (local?.ordersCredentialFile ?? ordersCredentialFile ?? environment["FLASHSALE_ORDERS_CREDENTIAL_FILE"])
            .map { try SecretFile.read($0, what: "orders credential file") }
        let map = try ClusterMap(config: try await centerClient.config(), sale: sale)
        let demand = try split.map { text in try DemandSplit(parsing: text) } ?? DemandSplit.even(map.regions)
        try map.check(demand)
        let rules = map.terms.rules

        // Buyers: distinct names, a region each by the split, an entry URL in that region.
        let prefix = userPrefix ?? "herd-\(String(UInt32.random(in: .min ... .max), radix: 16))-"
        let regions = demand.assignments(buyers: buyers)
        var perRegion: [String: Int] = [:]
        var crowd: [Buyer] = []
        crowd.reserveCapacity(buyers)
        for (index, region) in regions.enumerated() {
            let number = perRegion[region, default: 0]
            perRegion[region] = number + 1
            guard let url = map.entryURL(region: region, buyerIndex: number) else {
                throw ClusterMap.Invalid(description: "region '\(region)' has no endpoint")
            }
            let others = (map.entryURLs[region] ?? []).filter { $0 != url }
            crowd.append(
                Buyer(index: index, user: "\(prefix)\(index + 1)", region: region, token: nil, entryURL: url, fallbackURLs: others))
        }

        var tokensMinted = 0
        if rules.requireToken {
            let counters = CrowdCounters()
            let ttl = min(TokenRequest.ttlSecondsMax, waitForStart + timeLimit + 3_600)
            let minter = TokenMinter(client: centerClient, rules: rules, ttlSeconds: ttl, parallel: Self.mintParallel)
            let tokens = try await withProgress(counters, total: buyers, phase: "tokens") {
                try await minter.mint(users: crowd.map { ($0.user, $0.region) }, counters: counters)
            }
            for index in crowd.indices { crowd[index].token = tokens[index] }
            tokensMinted = tokens.count
        }

        let faultPlan = try await planFaults(map: map, local: local)
        if let faultPlan { await teardown.breaking(faultPlan.target) }
        try await waitForOpening(map.terms)

        let counters = CrowdCounters()
        let startedAt = Date()
        let started = ContinuousClock.now
        let run = Crowd(
            buyers: crowd, concurrency: concurrency, retries: retries, captchaRequired: rules.captchaDifficulty != nil,
            client: PurchaseClient(http: http, sale: sale), counters: counters, started: started,
            deadline: started + .seconds(timeLimit))
        let faultTask = Task { () -> [FaultRecord] in
            guard let faultPlan else { return [] }
            return await FaultRunner(plan: faultPlan.plan, target: faultPlan.target, started: started, teardown: teardown).run()
        }
        let result = try await withProgress(counters, total: buyers, phase: "buyers") { await run.run() }
        let durationMilliseconds = Int(PurchaseClient.nanoseconds(ContinuousClock.now - started) / 1_000_000)
        if faultPlan != nil, !quiet { Self.printNote("crowd done; waiting for the faults to be undone") }
        let faultRecords = await faultTask.value

        let readBack = try await ClusterReader(http: http, center: centerClient, sale: sale, ordersCredential: ordersCredential).read(
            units: map.unitURLs, regionOfUnit: map.regionOfUnit, settleSeconds: settleSeconds)
        return HerdReport(
            settings: .init(
                center: center, sale: sale, buyers: buyers, concurrency: concurrency,
                split: Dictionary(uniqueKeysWithValues: demand.shares.map { ($0.region, $0.weight) }),
                timeLimitSeconds: timeLimit, retries: retries, userPrefix: prefix),
            startedAt: startedAt,
            terms: (rules.requireToken, rules.captchaDifficulty, map.terms.perUserLimit), tokensMinted: tokensMinted,
            buyersPlannedByRegion: demand.counts(buyers: buyers), crowd: result, durationMilliseconds: durationMilliseconds,
            readBack: readBack, regions: demand.regions,
            faultRun: faultPlan.map {
                FaultRun(asked: faults ?? "", plan: $0.plan, target: $0.target.name, records: faultRecords)
            })
    }

    /// The fault plan of --faults and what it breaks, checked before the crowd: every fault asked for can be
    /// applied there, to units of this sale's cluster.
    private func planFaults(map: ClusterMap, local: LocalCluster?) async throws -> (plan: FaultPlan, target: any FaultTarget)? {
        guard let faults else { return nil }
        let counts = try FaultKind.parseList(faults)
        let target: any FaultTarget
        if let local { target = local } else { target = try await SystemdHost.discover(units: Array(map.regionOfUnit.keys)) }
        for kind in counts.keys.sorted() {
            if let reason = target.refusal(kind) { throw FaultFailure(description: "--faults \(kind.rawValue): \(reason)") }
        }
        let seed = faultSeed ?? UInt64.random(in: .min ... .max)
        let plan = try FaultPlan(
            counts: counts, seed: seed, spanMilliseconds: (faultSpan ?? 3) * 1_000,
            units: target.units.filter { map.unitURLs[$0] != nil }, regions: target.regions.filter(map.regions.contains),
            regionOfUnit: map.regionOfUnit)
        if !quiet {
            Self.printNote("faults (seed \(seed)): " + plan.faults.map {
                "\($0.kind.rawValue) \($0.targetName) at \(Figures.decimal(Double($0.atMilliseconds) / 1_000, places: 2)) s"
            }.joined(separator: ", "))
        }
        return (plan, target)
    }

    /// On SIGINT, SIGTERM and SIGHUP herd undoes what it did (`Teardown`: the cluster it started is stopped, the
    /// faults in force on a host's services healed) before it exits, 128 + the signal, as a shell would report it.
    /// (The cluster's processes run in process groups of their own, so a terminal's Ctrl-C reaches herd alone.)
    static func undoOnSignals(_ teardown: Teardown) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                printNote("signal \(number): undoing what herd started and broke")
                Task {
                    await teardown.run()
                    Foundation.exit(128 + number)
                }
            }
            source.resume()
            return source
        }
    }

    /// The folder this executable is in, where a build puts config-center and flashsale-unit too.
    static func ownFolder() -> String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    /// Waits (bounded by --wait-for-start) for a sale that opens soon; refuses one that has ended.
    private func waitForOpening(_ terms: SaleTerms) async throws {
        let nowMs = Date().millisecondsSince1970
        switch terms.phase(atMs: nowMs) {
        case .ended:
            throw ClusterMap.Invalid(description: "sale '\(sale)' has ended")
        case .scheduled(let startsInMs):
            guard startsInMs <= Int64(waitForStart) * 1_000 else {
                throw ClusterMap.Invalid(
                    description: "sale '\(sale)' opens in \(startsInMs / 1_000) s, later than --wait-for-start \(waitForStart) s")
            }
            if !quiet { Self.printNote("waiting \(Figures.decimal(Double(startsInMs) / 1_000)) s for the sale to open") }
            try await Task.sleep(for: .milliseconds(startsInMs))
        case .open, .paused:
            return
        }
    }

    /// Runs `body` with a progress line on stderr (unless --quiet), stopped when it returns or throws.
    private func withProgress<T: Sendable>(
        _ counters: CrowdCounters, total: Int, phase: String, _ body: () async throws -> T
    ) async throws -> T {
        guard !quiet else { return try await body() }
        let printer = ProgressPrinter(counters: counters, total: total, phase: phase, started: .now)
        let task = Task { await printer.run() }
        defer { task.cancel() }
        let value = try await body()
        task.cancel()
        await task.value
        return value
    }

    static func printError(_ message: String) { FileHandle.standardError.write(Data("error: \(message)\n".utf8)) }
    static func printNote(_ message: String) { FileHandle.standardError.write(Data("herd: \(message)\n".utf8)) }
}
