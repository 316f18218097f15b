// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "revenant",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "revenant", targets: ["revenant"]),
        // The engine for another Swift program: plan and run a verification, read certificates, write reports.
        .library(name: "RevenantKit", targets: ["RevenantCore", "RevenantCrypto", "RevenantFiles", "RevenantProbes", "RevenantNet", "RevenantEngine", "RevenantReports", "RevenantHistory", "RevenantFrontend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibSSH", pkgConfig: "libssh", providers: [.apt(["libssh-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        // MIT Kerberos (Debian libkrb5-dev links krb5.h, profile.h and libkrb5.so into the default paths; pkg-config's
        // `-isystem /usr/include/mit-krb5` is a flag SwiftPM refuses with a warning on every build, so it is not asked).
        .systemLibrary(name: "CKrb5"),
        // Domain values, decoders that take bytes, and Verdicts/: pure, no C library.
        .target(name: "RevenantCore", dependencies: ["Yams"]),
        // SHA-256 and HMAC, secret fingerprints, JWT signatures, known_hosts pins: OpenSSL, nothing else.
        .target(name: "RevenantCrypto", dependencies: ["COpenSSL", "RevenantCore"]),
        // The edge that reads files for the core's decoders (inventories, configuration, JWK Sets, known_hosts, secrets).
        .target(name: "RevenantFiles", dependencies: ["RevenantCore", "RevenantCrypto"]),
        .target(name: "RevenantProbes", dependencies: ["RevenantCore", "RevenantFiles", "RevenantCrypto"]),
        .target(name: "RevenantNet", dependencies: ["CCurl", "COpenSSL", "CLibSSH", "CLibPQ", "CLDAP", "RevenantCore", "RevenantCrypto", "RevenantFiles", "RevenantProbes", "CMariaDB", "CKrb5"]),
        .target(name: "RevenantEngine", dependencies: ["RevenantCore", "RevenantCrypto", "RevenantProbes"]),
        .target(name: "RevenantReports", dependencies: ["RevenantCore"]),
        // The history store: runs, checks and findings between runs (SQLite file or PostgreSQL), never a secret.
        .target(name: "RevenantHistory", dependencies: ["CSQLite", "CLibPQ", "RevenantCore"]),
        // What each command does, as library functions: the CLI parses, calls one, and maps the result to an exit code.
        .target(name: "RevenantFrontend", dependencies: ["RevenantCore", "RevenantCrypto", "RevenantFiles", "RevenantProbes", "RevenantNet", "RevenantEngine", "RevenantReports", "RevenantHistory"]),
        .executableTarget(
            name: "revenant",
            dependencies: [
                "RevenantEngine", "RevenantReports", "RevenantFrontend", "RevenantFiles", "RevenantHistory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets (scripts/fuzz.sh, `make fuzz`): libFuzzer's driver when built with
        // -sanitize=fuzzer (and -DFUZZING), else a replayer that runs files through a target once.
        .target(name: "CFuzzer", path: "Sources/CFuzzer"),
        .executableTarget(
            name: "revenant-fuzz",
            dependencies: ["CFuzzer", "RevenantCore", "RevenantCrypto", "RevenantFiles", "RevenantProbes", "RevenantNet", "RevenantReports"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // Benchmark helpers, kept out of the shipped binary (scripts/bench-certs.py).
        .executableTarget(name: "revenant-bench", dependencies: ["RevenantCore", "RevenantFiles", "RevenantNet"]),
        // Helpers shared by test targets (a test target cannot depend on another).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RevenantCoreTests", dependencies: ["RevenantCore", "RevenantCrypto", "TestSupport", "RevenantFiles", "RevenantHistory"]),
        .testTarget(name: "RevenantProbesTests", dependencies: ["RevenantProbes", "TestSupport", "RevenantFiles"]),
        .testTarget(name: "RevenantEngineTests", dependencies: ["RevenantEngine", "RevenantCore", "RevenantCrypto", "RevenantProbes", "RevenantFiles"]),
        .testTarget(name: "RevenantReportsTests", dependencies: ["RevenantReports", "RevenantEngine", "RevenantCore", "RevenantCrypto", "RevenantProbes", "RevenantFiles"]),
        .testTarget(name: "RevenantNetTests", dependencies: ["RevenantNet", "RevenantCore", "RevenantProbes", "TestSupport", "RevenantFiles"]),
        .testTarget(name: "IntegrationTests", dependencies: ["RevenantEngine", "RevenantCore", "RevenantProbes", "RevenantNet", "TestSupport", "RevenantFiles", "RevenantHistory"]),
    ]
)
