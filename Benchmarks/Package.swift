// swift-tools-version:6.1
//
// Benchmarks for amunixd, kept out of the main package so CI's test build
// stays fast: the floors (raw AF_PACKET frames and UDP datagrams over the
// same link) and a peer a user might pick instead (a gRPC Swift unary
// call). amunixd itself is measured with the main package's rpc_bench.
// Run everything with scripts/amunix-bench.sh.
import PackageDescription

let package = Package(
    name: "AmunixBenchmarks",
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    ],
    targets: [
        .executableTarget(name: "floors", path: "Sources/floors"),
        .executableTarget(
            name: "grpc_bench",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            path: "Sources/grpc_bench"),
    ]
)
