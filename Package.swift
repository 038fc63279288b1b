// swift-tools-version:6.0
//
// The host build of the system. The shared protocol modules (AmoebaCore,
// FLIP, RPC) are written in the subset of Swift that also compiles for the
// Embedded kernel target; `scripts/embedded-check.sh` proves it on every CI
// run. Everything host-only (the simulated network, the tools) depends on
// them, never the other way round.
import PackageDescription

// The modules every frame and every transaction passes through. Their
// release builds skip the dynamic exclusivity checks: a daemon profile showed
// the access bookkeeping (and the thread-local lookups behind it) as a tenth
// of the time spent per transaction. Debug builds and the tests keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
// The node body is generic over its owner, and its drivers (amunixd,
// rpc_bench) live in other modules: without its bodies they would run it
// unspecialised, looking up generic metadata on every frame. Full
// cross-module optimisation hands them the bodies to specialise.
let genericHotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "Amoeba",
    products: [
        .library(name: "AmoebaCore", targets: ["AmoebaCore"]),
        .library(name: "FLIP", targets: ["FLIP"]),
        .library(name: "RPC", targets: ["RPC"]),
        .library(name: "Group", targets: ["Group"]),
        .library(name: "Node", targets: ["Node"]),
        .executable(name: "cap", targets: ["cap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Shared, Embedded-clean protocol code.
        .target(name: "AmoebaCore", path: "Sources/AmoebaCore", swiftSettings: hotPath),
        .target(name: "FLIP", dependencies: ["AmoebaCore"], path: "Sources/FLIP", swiftSettings: hotPath),
        .target(name: "RPC", dependencies: ["AmoebaCore", "FLIP"], path: "Sources/RPC", swiftSettings: hotPath),
        // Totally ordered group communication beside RPC on the same box.
        .target(name: "Group", dependencies: ["AmoebaCore", "FLIP"], path: "Sources/Group", swiftSettings: hotPath),
        // One node's box, RPC machines and owner bookkeeping: what amunixd,
        // the kernel, the simulated network and rpc_bench all drive.
        .target(name: "Node", dependencies: ["AmoebaCore", "FLIP", "RPC", "Group"], path: "Sources/Node", swiftSettings: genericHotPath),

        // The seal on a keyed segment's datagrams: ChaCha20-Poly1305 and a
        // replay window, hand-written and Embedded-clean for kernel nodes.
        .target(name: "SegmentSeal", path: "Sources/SegmentSeal", swiftSettings: hotPath),
        .testTarget(name: "SegmentSealTests", dependencies: ["SegmentSeal"]),

        // Host-only: the deterministic simulated network used by the tests.
        .target(name: "SimNet", dependencies: ["AmoebaCore", "FLIP", "RPC", "Node"], path: "Sources/SimNet"),

        // Tools.
        .executableTarget(
            name: "cap",
            dependencies: [
                "AmoebaCore", "FLIP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cap"),

        // Tests, and the support they share.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AmoebaCoreTests", dependencies: ["AmoebaCore", "TestSupport"]),
        // section: FLIP tests
        .testTarget(name: "FLIPTests", dependencies: ["TestSupport", "AmoebaCore", "FLIP", "Node", "SimNet"]),
        // section: RPC tests
        .testTarget(name: "RPCTests", dependencies: ["TestSupport", "AmoebaCore", "FLIP", "RPC", "Node", "SimNet"]),
        // section: node tests
        .testTarget(name: "NodeTests", dependencies: ["TestSupport", "AmoebaCore", "FLIP", "RPC", "Node", "SimNet"]),
        // section: group tests
        .testTarget(name: "GroupTests", dependencies: ["TestSupport", "AmoebaCore", "FLIP", "Group", "Node", "SimNet"]),
        // section: cap tests
        .testTarget(name: "CapToolTests", dependencies: ["cap", "AmoebaCore"]),
        // section: servers
        // The directory and file servers: pure handlers over a storage
        // interface (Embedded-clean), and the crash-safe Linux store.
        .target(name: "Storage", dependencies: ["AmoebaCore"], path: "Servers/Storage"),
        // SOAP's wire format (commands, rights, limits, capability sets, the
        // request and reply buffers): imported by the server, the clients,
        // amunixd and the kernel, none of which needs the others for it.
        .target(name: "DirectoryProtocol", dependencies: ["AmoebaCore"], path: "Servers/DirectoryProtocol"),
        .target(name: "Directory", dependencies: ["AmoebaCore", "DirectoryProtocol", "Storage"], path: "Servers/Directory"),
        // One replica of the replicated directory service, sans I/O: ordered
        // writes applied deterministically, and state for joiners.
        .target(name: "DirectoryReplica", dependencies: ["AmoebaCore", "Directory", "Storage"], path: "Servers/DirectoryReplica"),
        // A node's own servers (sys, tod, random, the node directory), one
        // body for kernel nodes and amunixd.
        .target(name: "NodeServers", dependencies: ["AmoebaCore", "DirectoryProtocol"], path: "Sources/NodeServers"),
        .target(name: "Bullet", dependencies: ["AmoebaCore", "Storage"], path: "Servers/Bullet"),
        // sync_file_range, which Swift's Glibc module does not declare.
        .systemLibrary(name: "CFileSync", path: "Servers/CFileSync"),
        .target(name: "DiskStorage", dependencies: ["Storage", "CFileSync"], path: "Servers/DiskStorage"),
        // The crash-safe store on a block volume (a kernel node's disk):
        // checksummed records, a log and alternating checkpoints. Embedded-clean.
        .target(name: "BlockStorage", dependencies: ["AmoebaCore", "Storage"], path: "Servers/BlockStorage"),
        .testTarget(name: "BlockStorageTests", dependencies: ["BlockStorage", "Storage"]),
        .executableTarget(
            name: "servers-crash-child",
            dependencies: ["AmoebaCore", "Storage", "DiskStorage", "DirectoryProtocol", "Directory", "Bullet"],
            path: "Servers/CrashChild"),
        .testTarget(name: "DirectoryTests",
                    dependencies: ["TestSupport", "AmoebaCore", "Storage", "DiskStorage", "BlockStorage", "DirectoryProtocol", "Directory",
                                   "DirectoryReplica", "servers-crash-child"]),
        .testTarget(name: "BulletTests",
                    dependencies: ["TestSupport", "AmoebaCore", "Storage", "DiskStorage", "BlockStorage", "Bullet", "servers-crash-child"]),
        // section: amunix
        // amunixd: a Linux host as a FLIP node. CPcap needs Debian's libpcap-dev.
        .systemLibrary(name: "CPcap", path: "amunix/CPcap", pkgConfig: "libpcap",
                       providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CBatchIO", path: "amunix/CBatchIO"),
        .target(name: "Amunix", dependencies: ["AmoebaCore"], path: "amunix/Amunix", swiftSettings: hotPath),
        .target(
            name: "AmunixDaemon",
            dependencies: [
                "AmoebaCore", "FLIP", "RPC", "Group", "Node", "Amunix", "CPcap", "CBatchIO", "NodeServers", "SegmentSeal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "amunix/AmunixDaemon",
            swiftSettings: hotPath),
        // A program's own FLIP endpoint: the node body run in the program
        // over a link of its own, with no daemon in the path.
        .target(name: "AmunixEndpoint", dependencies: ["AmoebaCore", "Amunix", "FLIP", "RPC", "Node", "AmunixDaemon"],
                path: "amunix/AmunixEndpoint", swiftSettings: genericHotPath),
        .executableTarget(
            name: "amunixd",
            dependencies: [
                "AmunixDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "amunix/amunixd"),
        .executableTarget(
            name: "rpc_bench",
            dependencies: ["Amunix", "AmunixEndpoint", "AmoebaCore", "FLIP", "RPC", "Node", "SegmentSeal", "SimNet",
                           "KernelCore",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "amunix/rpc_bench"),
        // grp_test: group communication from a program (group-multihost.sh).
        .executableTarget(
            name: "grp_test",
            dependencies: ["Amunix", "AmoebaCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "amunix/grp_test"),
        // flipdump: frames decoded by the protocol's own decoders.
        .target(name: "FlipDump", dependencies: ["AmoebaCore", "FLIP", "RPC"], path: "amunix/FlipDump"),
        .executableTarget(
            name: "flipdump",
            dependencies: ["FlipDump", "AmunixDaemon", "CPcap", "AmoebaCore", "FLIP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "amunix/flipdump"),
        .testTarget(name: "FlipDumpTests", dependencies: ["FlipDump", "AmoebaCore", "FLIP", "RPC"]),
        .target(
            name: "StdTools",
            dependencies: ["AmoebaCore", "Amunix", "AmoebaClient", "AmoebaNames",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/StdTools"),
        .executableTarget(name: "std_info", dependencies: ["StdTools"], path: "Sources/std_info"),
        .executableTarget(name: "std_status", dependencies: ["StdTools"], path: "Sources/std_status"),
        .executableTarget(name: "std_restrict", dependencies: ["StdTools"], path: "Sources/std_restrict"),
        .executableTarget(name: "std_destroy", dependencies: ["StdTools"], path: "Sources/std_destroy"),
        .executableTarget(name: "std_touch", dependencies: ["StdTools"], path: "Sources/std_touch"),
        .target(name: "DaemonTestSupport", dependencies: ["AmunixDaemon", .product(name: "Logging", package: "swift-log")],
                path: "Tests/DaemonTestSupport"),
        .testTarget(name: "AmunixEndpointTests", dependencies: ["AmoebaCore", "Amunix", "AmunixDaemon", "AmunixEndpoint",
                                                          "DaemonTestSupport"]),
        .testTarget(name: "AmunixTests", dependencies: ["AmoebaCore", "FLIP", "RPC", "Amunix", "AmunixDaemon", "StdTools",
                                                  "DaemonTestSupport",
                                                  "DirectoryProtocol", "NodeServers", "SegmentSeal"]),
        // section: shell
        // The name space on the network: the servers hosted on amunixd, the
        // client side of directories and files, and the tools.
        .target(name: "AmoebaClient", dependencies: ["AmoebaCore", "DirectoryProtocol", "Bullet"], path: "Sources/AmoebaClient"),
        .target(name: "AmoebaNames", dependencies: ["AmoebaCore", "AmoebaClient", "Amunix"], path: "Sources/AmoebaNames"),
        .target(name: "ServerHost",
                dependencies: ["AmoebaCore", "Amunix", "AmunixEndpoint", .product(name: "Logging", package: "swift-log"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Servers/ServerHost"),
        .executableTarget(
            name: "soap-server",
            dependencies: ["AmoebaCore", "Amunix", "AmunixEndpoint", "Directory", "DirectoryReplica", "DiskStorage", "ServerHost",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Servers/SoapServer"),
        // soap_load: a stream of directory writes and a bench of them, for
        // the replicated directory's test and measurements.
        .executableTarget(
            name: "soap_load",
            dependencies: ["AmoebaCore", "AmoebaClient", "AmoebaNames", "Amunix", "DirectoryProtocol",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "amunix/soap_load"),
        .executableTarget(
            name: "bullet-server",
            dependencies: ["AmoebaCore", "Amunix", "Bullet", "DiskStorage", "ServerHost",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Servers/BulletServer"),
        .target(name: "ShellSupport", dependencies: ["AmoebaCore", "AmoebaClient", "AmoebaNames", "Amunix", "AmunixDaemon", "AmunixEndpoint", "StdTools", "Bullet", "CFileSync"],
                path: "Sources/ShellSupport"),
        .executableTarget(name: "dir", dependencies: ["ShellSupport", "DirectoryProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/dir"),
        .executableTarget(name: "mkd", dependencies: ["ShellSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/mkd"),
        .executableTarget(name: "chm", dependencies: ["ShellSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/chm"),
        .executableTarget(name: "mv", dependencies: ["ShellSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/mv"),
        .executableTarget(name: "om", dependencies: ["ShellSupport", "DirectoryProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/om"),
        .executableTarget(name: "del", dependencies: ["ShellSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/del"),
        .executableTarget(name: "get", dependencies: ["ShellSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/get"),
        .executableTarget(name: "put", dependencies: ["ShellSupport", "DirectoryProtocol", "Bullet", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/put"),
        .executableTarget(
            name: "amoeba-init",
            dependencies: ["AmoebaClient", "AmoebaNames", "Amunix", "BlockStorage", "Bullet", "DirectoryProtocol", "Directory", "DiskStorage", "Storage",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/amoeba-init"),
        .executableTarget(name: "ax", dependencies: ["ShellSupport", "ProcessDescriptor", "AmoebaClient", "AmoebaNames", "Amunix", "DirectoryProtocol",
                                                     .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/ax"),
        .executableTarget(name: "migrate", dependencies: ["ShellSupport", "ProcessDescriptor", "Amunix",
                                                          .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/migrate"),
        .testTarget(name: "ShellTests", dependencies: ["AmoebaClient", "AmoebaCore", "AmoebaNames", "ShellSupport", "DirectoryProtocol",
                                                 "Directory", "Bullet", "Storage"]),
        .testTarget(name: "DirectoryProtocolTests", dependencies: ["AmoebaCore", "DirectoryProtocol"]),
        .testTarget(name: "NodeServersTests", dependencies: ["AmoebaCore", "DirectoryProtocol", "NodeServers"]),
        // Process descriptors (process_d, segment_d, thread_d) and the proc
        // server's commands: Embedded-clean, shared by the kernel's proc
        // server, acv and ax.
        .target(name: "ProcessDescriptor", dependencies: ["AmoebaCore"], path: "Sources/ProcessDescriptor"),
        .testTarget(name: "ProcessDescriptorTests", dependencies: ["AmoebaCore", "ProcessDescriptor"]),
        .executableTarget(name: "acv", dependencies: ["KernelCore", "ProcessDescriptor",
                                                      .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/acv"),
        // section: kernel host targets
        .target(name: "KernelCore", dependencies: ["AmoebaCore", "NodeServers", "DiskProtocol"], path: "Kernel/Core"),
        .testTarget(name: "KernelCoreTests", dependencies: ["TestSupport", "KernelCore", "AmoebaCore", "NodeServers", "DiskProtocol",
                                                        "Node", "RPC"],
                    path: "Tests/KernelCoreTests"),
        // section: disks
        // The virtual disk server's wire format (commands, rights, limits,
        // DS_INFO and DS_GETGEOMETRY records, the std_info line): shared by
        // the kernel's vdisk server and the vdisk tool. Embedded-clean.
        .target(name: "DiskProtocol", dependencies: ["AmoebaCore"], path: "Sources/DiskProtocol"),
        .testTarget(name: "DiskProtocolTests", dependencies: ["AmoebaCore", "DiskProtocol"]),
        .executableTarget(name: "vdisk", dependencies: ["StdTools", "DiskProtocol", "AmoebaCore", "Amunix", "BlockStorage", "Storage",
                                                        .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/vdisk"),
    ]
)
