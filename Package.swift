// swift-tools-version: 6.1
import PackageDescription

/// The flash-sale cluster: a pure core (rights ledger, allocation, sale phases, order ids, purchase book),
/// the unit node and the config-center built on it, a typed client for the config-center API, and two thin
/// executables. See docs/ARCHITECTURE.md for the architecture.
let package = Package(
    name: "flashsale",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flashsale-unit", targets: ["UnitMain"]),
        .executable(name: "config-center", targets: ["ConfigCenterCLI"]),
        .executable(name: "herd", targets: ["Herd"]),
        // Loaded with LD_PRELOAD into units `herd --faults clock-jump` steps the wall clock of.
        .library(name: "FaultShim", type: .dynamic, targets: ["FaultShim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Tests only: parses the OpenAPI documents the servers serve.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0"),
    ],
    targets: [
        // Pure decisions: no I/O, no clock, no randomness of their own. Crypto only for pure hashing (the
        // proof-of-work check).
        .target(
            name: "FlashSaleCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Wire types and problem+json shared by every process and client.
        .target(
            name: "FlashSaleAPI",
            dependencies: [
                "FlashSaleCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The request-progress handler sits on NIOHTTP1's parts, in front of the HTTP-types codec.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // TLS on every link: servers through Hummingbird's TLS channel, clients through AsyncHTTPClient.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ],
            // Compiled in, so a binary installed on its own still serves GET /openapi.json.
            resources: [.embedInCode("OpenAPI/unit.openapi.json"), .embedInCode("OpenAPI/center.openapi.json")]
        ),
        // SQLite tables of the rights ledger, shared by the config-center and the units.
        .target(
            name: "FlashSaleStorage",
            dependencies: [
                "FlashSaleCore", "SQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // sqlite3_config, which Swift cannot call (it is variadic): the process-wide settings SQLiteFile makes.
        .target(name: "SQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Typed HTTP client of the config-center API (CLI, units, tests).
        .target(
            name: "ConfigCenterClient",
            dependencies: [
                "FlashSaleAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "ConfigCenter",
            dependencies: [
                "FlashSaleCore", "FlashSaleAPI", "FlashSaleStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The operator's dashboard, compiled in so an installed binary serves it.
            resources: [
                .embedInCode("Dashboard/dashboard.html"), .embedInCode("Dashboard/dashboard.js"),
                .embedInCode("Dashboard/dashboard.css"),
            ]
        ),
        .target(
            name: "UnitNode",
            dependencies: [
                "FlashSaleCore", "FlashSaleAPI", "FlashSaleStorage", "ConfigCenterClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The buyer's page, compiled in so an installed binary serves it.
            resources: [
                .embedInCode("BuyerPage/buyer.html"), .embedInCode("BuyerPage/buyer.js"),
                .embedInCode("BuyerPage/buyer-worker.js"), .embedInCode("BuyerPage/buyer.css"),
            ]
        ),
        .executableTarget(
            name: "UnitMain",
            dependencies: [
                "UnitNode", "FlashSaleAPI", "FlashSaleStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ConfigCenterCLI",
            dependencies: [
                "ConfigCenter", "ConfigCenterClient", "FlashSaleAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The rehearsal crowd: distinct buyers with tokens (and proof of work), a report read back from the cluster.
        .executableTarget(
            name: "Herd",
            dependencies: [
                "FlashSaleCore", "FlashSaleAPI", "ConfigCenterClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(name: "FaultShim", linkerSettings: [.linkedLibrary("dl")]),
        // What the trust checks cost on one core (bench/signatures.sh); a benchmark, not shipped.
        .executableTarget(
            name: "SignatureBench",
            dependencies: ["FlashSaleCore", "FlashSaleAPI", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Coverage-guided fuzzing of the network's decoders (scripts/fuzz-decoders.sh); a stub in a normal build.
        .executableTarget(name: "FuzzDecoders", dependencies: ["FlashSaleCore", "FlashSaleAPI"]),
        .testTarget(name: "FlashSaleCoreTests", dependencies: ["FlashSaleCore", "TestSupport"]),
        // The herd's pure parts: split, answers, buyer steps, timeline, checks, report pages.
        .testTarget(
            name: "HerdTests",
            dependencies: ["Herd", "FlashSaleAPI", "FlashSaleCore", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // A test run's folder and the guard that stops its children should it crash; in-process servers on loopback that
        // stop by graceful shutdown, even when a test fails (no tests of its own).
        .testTarget(
            name: "TestSupport",
            dependencies: [
                "FlashSaleAPI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Checks HTTP answers against the served OpenAPI documents (no tests of its own).
        .testTarget(
            name: "OpenAPITestSupport",
            dependencies: [.product(name: "OpenAPIKit", package: "OpenAPIKit")]
        ),
        .testTarget(
            name: "UnitNodeTests",
            dependencies: [
                "UnitNode", "FlashSaleCore", "FlashSaleAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                "OpenAPITestSupport", "TestSupport", .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ]
        ),
        .testTarget(
            name: "ConfigCenterTests",
            dependencies: [
                "ConfigCenter", "FlashSaleAPI", "FlashSaleCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                "OpenAPITestSupport", "TestSupport", .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ]
        ),
        // Whole processes on loopback: the built executables, kill -9, restarts.
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "ConfigCenterClient", "FlashSaleAPI", "FlashSaleCore", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
