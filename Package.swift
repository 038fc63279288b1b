// swift-tools-version:6.0
//
// The host build of the system. The shared protocol modules (AmoebaCore,
// FLIP, RPC) are written in the subset of Swift that also compiles for the
// Embedded kernel target; `scripts/embedded-check.sh` proves it on every CI
// run. Everything host-only (the simulated network, the tools) depends on
// them, never the other way round.
import PackageDescription

let package = Package(
    name: "Amoeba",
    products: [
        .library(name: "AmoebaCore", targets: ["AmoebaCore"]),
        .library(name: "FLIP", targets: ["FLIP"]),
        .library(name: "RPC", targets: ["RPC"]),
        .executable(name: "cap", targets: ["cap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Shared, Embedded-clean protocol code.
        .target(name: "AmoebaCore", path: "Sources/AmoebaCore"),
        .target(name: "FLIP", dependencies: ["AmoebaCore"], path: "Sources/FLIP"),
        .target(name: "RPC", dependencies: ["AmoebaCore", "FLIP"], path: "Sources/RPC"),

        // Host-only: the deterministic simulated network used by the tests.
        .target(name: "SimNet", dependencies: ["AmoebaCore", "FLIP"], path: "Sources/SimNet"),

        // Tools.
        .executableTarget(
            name: "cap",
            dependencies: [
                "AmoebaCore", "FLIP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cap"),

        // Tests.
        .testTarget(name: "AmoebaCoreTests", dependencies: ["AmoebaCore"]),
        // section: FLIP tests
        // section: RPC tests
        // section: cap tests
        // section: kernel host targets
        .target(name: "KernelCore", dependencies: ["AmoebaCore"], path: "Kernel/Core"),
        .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore", "AmoebaCore"], path: "Tests/KernelCoreTests"),
    ]
)
