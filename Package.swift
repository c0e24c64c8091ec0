// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "aiops",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aiops", targets: ["aiops"]),
        .executable(name: "alert-ingestor", targets: ["alert-ingestor"]),
        .executable(name: "embedder", targets: ["embedder"]),
        .executable(name: "retriever", targets: ["retriever"]),
        .executable(name: "executor", targets: ["executor"]),
        .executable(name: "approver", targets: ["approver"]),
        .executable(name: "reasoner", targets: ["reasoner"]),
        .executable(name: "aiops-bench", targets: ["aiops-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.0.0"),
    ],
    targets: [
        // C libraries: one system library each, imported only by its wrapper.
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "Kafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .target(name: "HTTPClient", dependencies: [
            "CCurl",
        ], swiftSettings: strict),
        // The event model: no transport, no C library.
        .target(name: "IncidentLog", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .target(name: "DaemonRuntime", dependencies: [
            "Kafka", "IncidentLog",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "OTel", package: "swift-otel"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: strict),
        // YAML within limits (size, depth, aliases, expanded nodes) for every YAML the system reads.
        .target(name: "BoundedYAML", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        .target(name: "Ingest", dependencies: [
            "BoundedYAML",
            "Kafka", "IncidentLog", "DaemonRuntime",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        .target(name: "Corpus", dependencies: [
            "Kafka", "IncidentLog", "BoundedYAML",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .target(name: "Retrieval", dependencies: [
            "Kafka", "IncidentLog", "Corpus", "Postgres", "HTTPClient", "DaemonRuntime",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .target(name: "Embedding", dependencies: [
            "Kafka", "IncidentLog", "Corpus", "Postgres", "Retrieval", "DaemonRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        .target(name: "Actions", dependencies: [
            "HTTPClient", "BoundedYAML",
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        .target(name: "Execution", dependencies: [
            "Actions", "IncidentLog", "Kafka", "DaemonRuntime",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        .target(name: "Approval", dependencies: [
            "Actions", "BoundedYAML", "IncidentLog", "Kafka", "DaemonRuntime", "HTTPClient",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),

        .target(name: "Triage", dependencies: [
            "Actions", "IncidentLog", "Kafka", "DaemonRuntime", "HTTPClient",
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        .executableTarget(name: "alert-ingestor", dependencies: ["Ingest", "DaemonRuntime"], swiftSettings: strict),
        .executableTarget(name: "embedder", dependencies: ["Embedding", "DaemonRuntime"], swiftSettings: strict),
        .executableTarget(name: "retriever", dependencies: ["Retrieval", "DaemonRuntime"], swiftSettings: strict),
        .executableTarget(name: "approver", dependencies: ["Approval", "DaemonRuntime"], swiftSettings: strict),
        .executableTarget(name: "reasoner", dependencies: ["Triage", "DaemonRuntime"], swiftSettings: strict),
        .executableTarget(name: "executor", dependencies: ["Execution", "DaemonRuntime"], swiftSettings: strict),
        .target(name: "OperatorCLI", dependencies: [
            "Kafka", "IncidentLog", "DaemonRuntime", "Ingest", "Retrieval", "Embedding", "Triage", "Approval", "Execution", "Corpus", "Actions",
            "Postgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // `aiops exporter`: topic, consumer-group and incident-log metrics.
        .target(name: "Exporter", dependencies: [
            "Kafka", "IncidentLog", "DaemonRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .executableTarget(name: "aiops", dependencies: [
            "Kafka", "IncidentLog", "DaemonRuntime", "Ingest", "HTTPClient", "Corpus", "Retrieval", "Embedding", "Postgres",
            "OperatorCLI", "Approval", "Triage", "Actions", "Exporter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Benchmarks: their own executable, run by `aiops bench`.
        .executableTarget(name: "aiops-bench", dependencies: [
            "Kafka", "IncidentLog", "DaemonRuntime", "Ingest", "HTTPClient", "Corpus", "Retrieval", "Embedding", "Postgres",
            "OperatorCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),

        .target(name: "TestSupport", dependencies: [
            "Kafka", "IncidentLog", "HTTPClient", "DaemonRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "IncidentLogTests", dependencies: [
            "IncidentLog", "DaemonRuntime", "Kafka", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .testTarget(name: "IngestTests", dependencies: [
            "Ingest", "IncidentLog", "DaemonRuntime", "Kafka", "TestSupport", "HTTPClient",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: strict),
        .testTarget(name: "CorpusTests", dependencies: [
            "Corpus", "Retrieval", "Embedding", "IncidentLog", "Kafka", "Postgres", "DaemonRuntime", "TestSupport",
        ], swiftSettings: strict),
        .testTarget(name: "ActionsTests", dependencies: ["Actions", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ApprovalTests", dependencies: [
            "Approval", "Execution", "Actions", "IncidentLog", "Kafka", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "TriageTests", dependencies: [
            "Triage", "Approval", "Execution", "Actions", "Retrieval", "Embedding", "Corpus", "IncidentLog", "Kafka", "DaemonRuntime",
            "TestSupport", "HTTPClient", "Ingest", "OperatorCLI",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: strict),
        .testTarget(name: "ExecutionTests", dependencies: [
            "Execution", "Actions", "IncidentLog", "Kafka", "DaemonRuntime", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "DaemonTests", dependencies: [
            "OperatorCLI", "Ingest", "Retrieval", "Embedding", "Triage", "Approval", "Execution", "DaemonRuntime", "HTTPClient", "TestSupport",
            "Exporter",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        .testTarget(name: "SecurityTests", dependencies: [
            "Ingest", "Triage", "Retrieval", "Approval", "Execution", "Actions", "DaemonRuntime", "IncidentLog", "Kafka", "HTTPClient",
            "OperatorCLI", "BoundedYAML", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .testTarget(name: "ClientTests", dependencies: ["Postgres", "HTTPClient", "TestSupport"], swiftSettings: strict),
    ]
)
