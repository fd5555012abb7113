// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // A nonisolated async function runs on its caller's executor. Without it, each call into one
    // and each return from one was a switch to the generic executor and back: 30 per small
    // request, each asking the task for its preferred executor. Floe has no actors of its own.
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "floe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "floe", targets: ["floe"]),
        .executable(name: "floe-hotpaths", targets: ["FloeHotPaths"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Leaf: request signing and verification, aws-chunked decoding. No I/O.
        .target(
            name: "SigV4",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Leaf: S3 error codes, XML writing and parsing, wire formats (dates, ranges, encodings).
        .target(name: "S3Model", dependencies: ["SigV4"], swiftSettings: strictSettings),
        // Leaf: Iceberg table and view metadata as JSON that round-trips, TableUpdate / TableRequirement
        // application with the REST spec's rules, the REST ErrorModel.
        .target(name: "IcebergModel", swiftSettings: strictSettings),
        // zlib from the machine image (zlib1g-dev); zstd, lz4 and brotli are loaded at run time.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Leaf: compression codecs of Parquet and Avro (snappy in Swift, zlib linked, zstd/lz4/brotli through dlopen), CRC-32.
        .target(name: "Codecs", dependencies: ["CZlib"], swiftSettings: strictSettings),
        // Pure: Avro schemas, binary encoding, object container files, schema resolution by Iceberg field id.
        .target(name: "Avro", dependencies: ["Codecs", "IcebergModel"], swiftSettings: strictSettings),
        // Pure: Parquet footers and pages (Thrift compact protocol), every standard encoding, record assembly, the writer.
        .target(name: "Parquet", dependencies: ["Codecs"], swiftSettings: strictSettings),
        // Pure: Iceberg types and values, transforms, expressions, manifests, deletes, scan planning and the table reader.
        .target(name: "IcebergData", dependencies: ["IcebergModel", "Avro", "Parquet", "Codecs"], swiftSettings: strictSettings),
        // Pure: landing data for `floe ingest` — CSV and JSON lines parsing, schema inference with safe widening,
        // conversion to typed rows, partition/sort text, schema merging.
        .target(name: "Ingest", dependencies: ["IcebergData", "IcebergModel"], swiftSettings: strictSettings),
        // Pure: `floe query` — the SQL parser, type-checked expressions with DuckDB's semantics, aggregates,
        // and the executor (pushdown, hash joins, grouping, ordering) over IcebergData's table reader.
        .target(name: "Query", dependencies: ["IcebergData", "IcebergModel"], swiftSettings: strictSettings),
        // MD5 block functions in C: one stream, or up to eight in vector lanes. Optimised in debug
        // builds too, since every upload's ETag passes through it.
        .target(name: "CMD5", cSettings: [.unsafeFlags(["-O2"])]),
        // Linux system calls the C library does not wrap (cachestat) and flags Swift cannot name (O_DIRECT), for the disk store.
        .target(name: "CSystemCalls"),
        // The C library allocator's tuning and statistics (arena cap, trim, bytes in use).
        .target(name: "CAllocator"),
        // Domain: buckets, object versions, checksums, the write protocol; protocols ObjectIndex and the disk blob store.
        .target(
            name: "ObjectStore",
            dependencies: [
                "SigV4", "CMD5", "CSystemCalls",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // A small SQLite layer (WAL, one writer, pooled readers, migrations) over the system library.
        .target(
            name: "SQLiteSupport",
            dependencies: [
                "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The embedded SQLite implementation of ObjectIndex.
        .target(
            name: "ObjectIndexSQLite",
            dependencies: [
                "ObjectStore", "SQLiteSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // The Iceberg catalog's domain: namespaces, tables, the commit protocol; protocol CatalogStore.
        .target(name: "Catalog", dependencies: ["IcebergModel", "IcebergData", "ObjectStore", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strictSettings),
        .target(name: "CatalogStoreSQLite", dependencies: ["Catalog", "IcebergModel", "SQLiteSupport"], swiftSettings: strictSettings),
        // Schema migrations for components sharing one PostgreSQL database.
        .target(
            name: "PostgresSupport",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "CatalogStorePostgres",
            dependencies: [
                "Catalog", "IcebergModel", "PostgresSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Users, groups, keys, policies, sessions and the audit log. Root credentials live here.
        .target(
            name: "Identity",
            dependencies: ["SigV4", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(name: "IdentityStoreSQLite", dependencies: ["Identity", "SQLiteSupport"], swiftSettings: strictSettings),
        .target(
            name: "IdentityStorePostgres",
            dependencies: ["Identity", "PostgresSupport", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Signature verification against the identity system (access keys and session tokens).
        .target(
            name: "Authentication",
            dependencies: ["Identity", "SigV4", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strictSettings
        ),
        // The S3 HTTP surface: routing, auth, handlers, S3 errors rendered in one place.
        .target(
            name: "S3API",
            dependencies: [
                "SigV4", "S3Model", "ObjectStore", "Identity", "Authentication",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The Iceberg REST catalog over HTTP: routes, bearer tokens, ErrorModel rendering.
        .target(
            name: "CatalogAPI",
            dependencies: [
                "Catalog", "IcebergModel", "Identity", "Authentication", "SigV4",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        // A client for S3 endpoints, Floe's admin API and its catalog: SigV4 with Floe's own signer, streaming bodies.
        .target(
            name: "FloeClient",
            dependencies: [
                "SigV4", "S3Model", "IcebergData",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The `floe` CLI commands (mc-style paths ALIAS/BUCKET/KEY), over FloeClient.
        .target(
            name: "FloeCLI",
            dependencies: [
                "FloeClient", "Identity", "SigV4", "IcebergModel", "IcebergData", "Parquet", "Ingest", "Query",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // Composition root: configuration, stores, listeners, lifecycle.
        // HTTP/1 requests read from bytes: pure, apart from the connection handlers that feed it.
        .target(
            name: "HTTP1",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FloeServer",
            dependencies: [
                "HTTP1", "S3API", "SigV4", "Console", "ObjectStore", "ObjectIndexSQLite", "Identity", "Catalog", "CatalogStoreSQLite", "CatalogStorePostgres", "CatalogAPI", "IdentityStoreSQLite", "IdentityStorePostgres", "SQLiteSupport", "CAllocator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        // The web console (:9001): server-rendered pages that act as the signed-in principal through
        // the S3, admin and catalog APIs on loopback, so every action meets the same authorization.
        .target(
            name: "Console",
            dependencies: [
                "FloeClient", "Identity", "S3Model", "SigV4", "S3API", "Parquet", "IcebergData", "IcebergModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "floe",
            dependencies: [
                "FloeServer", "FloeCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The hot pure paths under instruction counting (scripts/bench/instructions.sh).
        .executableTarget(
            name: "FloeHotPaths",
            dependencies: [
                "HTTP1", "SigV4", "S3API", "S3Model", "Identity", "ObjectStore", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/HotPaths",
            exclude: ["thresholds.txt"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HTTP1Tests",
            dependencies: [
                "HTTP1", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], swiftSettings: strictSettings),
        .testTarget(name: "S3ModelTests", dependencies: ["S3Model", "SigV4"], swiftSettings: strictSettings),
        .testTarget(name: "IcebergModelTests", dependencies: ["IcebergModel"], swiftSettings: strictSettings),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs"], swiftSettings: strictSettings),
        .testTarget(name: "AvroTests", dependencies: ["Avro", "Codecs", "IcebergModel"], swiftSettings: strictSettings),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "Codecs"], swiftSettings: strictSettings),
        .testTarget(name: "QueryTests", dependencies: ["Query", "IcebergData", "IcebergModel"], swiftSettings: strictSettings),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "IcebergData", "IcebergModel"], swiftSettings: strictSettings),
        .testTarget(name: "IcebergDataTests", dependencies: ["IcebergData", "IcebergModel", "Avro", "Parquet", "Codecs"], swiftSettings: strictSettings),
        .testTarget(
            name: "IdentityTests", dependencies: ["Identity", "Authentication", "SigV4", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "S3APITests",
            dependencies: ["S3API", "S3Model", "SigV4", "ObjectStore", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "FloeCLITests", dependencies: ["FloeCLI", "FloeClient"], swiftSettings: strictSettings),
        .testTarget(
            name: "CatalogAPITests",
            dependencies: [
                "CatalogAPI", "Catalog", "Identity", "IcebergModel", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CatalogTests",
            dependencies: [
                "Catalog", "CatalogStoreSQLite", "ObjectStore", "ObjectIndexSQLite", "IcebergModel", "IcebergData", "Parquet",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FloeServerTests",
            dependencies: [
                "FloeServer", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Identity", .product(name: "Mustache", package: "swift-mustache")], swiftSettings: strictSettings),
        .testTarget(
            name: "ObjectStoreTests",
            dependencies: ["ObjectStore", "ObjectIndexSQLite", "SQLiteSupport", "CSQLite", "SigV4", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
    ]
)

// The libFuzzer harness of the pure parsers exists only for `scripts/fuzz.sh` (FLOE_FUZZ=1,
// built with `--sanitize=fuzzer` in its own scratch directory): libFuzzer supplies `main`.
if Context.environment["FLOE_FUZZ"] == "1" {
    package.products.append(.executable(name: "floe-fuzz", targets: ["FloeFuzz"]))
    package.targets.append(
        .executableTarget(
            name: "FloeFuzz",
            dependencies: [
                "HTTP1", "SigV4", "S3Model", "Identity", "IcebergModel", "Codecs", "Avro", "Parquet", "IcebergData",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/FloeFuzz",
            swiftSettings: strictSettings + [.unsafeFlags(["-parse-as-library"])]))
}
