// rpc_bench core: the protocol machines alone, with no I/O.
//
// Two node bodies wired back to back in memory (Node's `NodePair`, the
// kernel's nodecore scenario drives the same), a client on one and a
// server (with several getreq slots) on the other, run transactions one
// after another. What it reports is the CPU time the shared node, FLIP and
// RPC code spends per transaction, both ends together: the part of a
// daemon's cost that no socket, poll or thread switch explains. The same
// code runs in the kernel, so a saving here is a saving there.

import AmoebaCore
import AmunixDaemon
import ArgumentParser
import FLIP
import Foundation
import Node
import RPC

struct Core: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the FLIP and RPC machines alone (in memory, no I/O).")
    @Option(help: "Bytes of data per request.") var size: Int = 0
    @Option(help: "Transactions in all.") var count: Int = 20000
    @Option(help: "Unmeasured transactions first.") var warmup: Int = 500
    @Flag(help: "Print one machine-readable line: cpu_us_per_transaction frames_per_transaction.") var brief = false

    func validate() throws {
        guard size >= 0, size <= 1 << 20 else { throw ValidationError("--size must be 0 to 1048576") }
        guard count > 0, warmup >= 0 else { throw ValidationError("--count must be positive, --warmup not negative") }
    }

    func run() throws {
        var random = SystemRandomNumberGenerator()
        // Configured as amunixd and a program's own endpoint run it: the
        // credit window a Linux host grants (DaemonConfiguration.hostFLIP), so a
        // 30000-byte request goes out whole instead of eight frames per
        // returned credit.
        var pair = NodePair(configuration: NodeConfiguration(flip: DaemonConfiguration.hostFLIP), using: &random)
        let request = RPCMessage(header: Header(port: pair.putPort, command: BenchCommand.sink),
                                 data: [UInt8](repeating: 0x5a, count: size))
        func transact() throws {
            if let code = pair.transact(request) {
                throw CoreBenchError(description: "transaction failed: \(code.name)")
            }
        }
        for _ in 0..<warmup { try transact() }
        let frames = pair.frames
        let start = cpuMicroseconds()
        for _ in 0..<count { try transact() }
        let perTransaction = Double(cpuMicroseconds() - start) / Double(count)
        let framesEach = Double(pair.frames - frames) / Double(count)
        if brief {
            print(String(format: "%.2f %.1f", perTransaction, framesEach))
        } else {
            print(String(format: "%d transactions of %d bytes: %.2f µs CPU each (both ends), %.1f frames each",
                         count, size, perTransaction, framesEach))
        }
    }
}

struct CoreBenchError: Error, CustomStringConvertible {
    var description: String
}

func cpuMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}
