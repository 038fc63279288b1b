// rpc_bench core: the protocol machines alone, with no I/O.
//
// Two node bodies wired back to back in memory, a client on one and a
// server (with several getreq slots) on the other, run transactions one
// after another. What it reports is the CPU time the shared node, FLIP and
// RPC code spends per transaction, both ends together: the part of a
// daemon's cost that no socket, poll or thread switch explains. The same
// code runs in the kernel, so a saving here is a saving there.

import AmoebaCore
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
        var pair = MachinePair()
        let request = RPCMessage(header: Header(port: pair.putPort, command: BenchCommand.sink),
                                 data: [UInt8](repeating: 0x5a, count: size))
        for _ in 0..<warmup { try pair.transact(request) }
        let frames = pair.frames
        let start = cpuMicroseconds()
        for _ in 0..<count { try pair.transact(request) }
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

/// A client node and a server node joined by a perfect wire.
struct MachinePair {
    let client: Node<Int>
    let server: Node<Int>
    let putPort: AmoebaCore.Port
    private let getPort: AmoebaCore.Port
    private(set) var frames = 0
    private var now = Instant.zero

    init() {
        var g = SystemRandomNumberGenerator()
        client = Node(using: &g)
        server = Node(using: &g)
        client.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        server.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        getPort = AmoebaCore.Port.random(using: &g)
        putPort = OneWay.apply(getPort)
        for _ in 0..<4 { _ = server.getreq(port: getPort, owner: 0) }
    }

    /// One transaction, start to finish; the clock moves a microsecond per
    /// step, so no protocol timer ever fires.
    mutating func transact(_ request: RPCMessage) throws {
        client.trans(request, owner: 1, deadline: nil, now: now)
        let wire = InterfaceID(rawValue: 0)
        for _ in 0..<100_000 {
            now = now + .microseconds(1)
            var moved = false
            var done = false
            var failure: ErrorCode?
            // Each output is consumed as it is handed over: its frame goes
            // on to the other node with no copy.
            client.drainOutputs { (o: consuming NodeOutput<Int>) in
                moved = true
                switch consume o {
                case .transmit(_, let frame):
                    frames += 1
                    server.receive(frame: frame, on: wire, now: now)
                    // Read: its storage may carry the client's next fragment.
                    client.recycle(frame: frame)
                case .transactionCompleted(_, let result):
                    if case .failure(let code) = result { failure = code }
                    done = true
                case .requestArrived, .upperLayerReady:
                    break
                }
            }
            if let code = failure { throw CoreBenchError(description: "transaction failed: \(code.name)") }
            // Done once the frames that came out with the result (the
            // reply's acknowledgement) are on the wire too.
            if done { return }
            server.drainOutputs { (o: consuming NodeOutput<Int>) in
                moved = true
                switch consume o {
                case .transmit(_, let frame):
                    frames += 1
                    client.receive(frame: frame, on: wire, now: now)
                    server.recycle(frame: frame)
                case .requestArrived(_, let slot, _):
                    var h = Header()
                    h.status = .ok
                    server.putrep(slot, RPCMessage(header: h), now: now)
                    _ = server.getreq(port: getPort, owner: 0)
                case .transactionCompleted, .upperLayerReady:
                    break
                }
            }
            if !moved {
                // Quiet: let the protocol timers (reply acknowledgement) run.
                if let d = earliest(client.nextDeadline, server.nextDeadline) { now = max(now, d) }
                client.tick(now: now)
                server.tick(now: now)
            }
        }
        throw CoreBenchError(description: "transaction did not finish")
    }
}

func cpuMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}
