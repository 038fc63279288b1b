// rpc_bench: a server and a load generator over amunixd, for the
// multi-host tests and the benchmarks. With `--link`, serve, load and stats
// run their own FLIP endpoint instead (AmunixEndpoint): no daemon between
// the program and the wire.
//
//   rpc_bench serve PORTFILE [--threads N]
//       listens on a fresh get-port, writes the put-port capability to
//       PORTFILE, and answers every request with its data echoed. It counts
//       executions per (client, sequence) so duplicates are visible: the
//       command STATS (header command 1) returns "executions E duplicates D".
//   rpc_bench load PORTFILE --size S --count N [--threads T]
//       runs N transactions of S bytes, each with a unique sequence number,
//       checks every reply, and prints p50/p99 latency and throughput.
//   rpc_bench core --size S --count N
//       no daemon: the FLIP and RPC machines of two hosts wired together in
//       memory; prints their CPU time per transaction (Core.swift).
//   rpc_bench seal --size S --count N
//       no daemon: seals and opens N frames of S bytes as a keyed link
//       does; prints the CPU time per frame (Seal.swift).
//   rpc_bench scale [--curve locate|load]
//       no daemon: the simulated network; how a port locate among many
//       nodes and one server under many clients cost as they grow
//       (Scale.swift).
//   rpc_bench link-echo / link-ping --link pcap:IFACE --mac MAC ...
//       no protocol: a frame ping-pong through an own endpoint's I/O path
//       (its capture ring, its poll, its transmit ring), the floor between
//       raw AF_PACKET and the endpoint (LinkFloor.swift).
//
// Exit status 0 only when every reply was right.

import AmoebaCore
import Amunix
import AmunixEndpoint
import ArgumentParser
import Foundation
import KernelCore

@main
struct RPCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc_bench",
        abstract: "Echo server and load generator over amunixd or the program's own FLIP endpoint.",
        subcommands: [Serve.self, Load.self, Stats.self, Core.self, Seal.self, Scale.self,
                      LinkEcho.self, LinkPing.self])
}

enum BenchCommand {
    static let echo: UInt16 = 0
    static let stats: UInt16 = 1
    /// Like echo, but the reply carries no data: one-way throughput.
    static let sink: UInt16 = 2
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve echo requests on a new port.")
    @Option var socket: String?
    @Option(help: "Run the program's own FLIP endpoint on this link (pcap:IFACE, udp:..., mcast:...) instead of going through amunixd.") var link: String?
    @Option(help: "Server threads (concurrent getreqs).") var threads: Int = 4
    @Argument(help: "File to write the server's capability to.") var portFile: String

    func run() throws {
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        let conn = try openAccess(link: link, socket: socket)
        let c = ServerCounters()
        let group = DispatchGroup()
        for _ in 0..<max(1, threads) {
            group.enter()
            Thread {
                defer { group.leave() }
                while true {
                    let req: AccessRequest
                    do { req = try conn.getreq(getPort) } catch { return }
                    var reply = Header()
                    var data: [UInt8] = []
                    if req.header.command == BenchCommand.stats {
                        data = Array(c.report().utf8)
                    } else {
                        // Sequence: the client's tag in signature, its number in offset+extra.
                        c.executed(client: req.header.signature.littleEndianBits,
                                   sequence: UInt64(UInt32(bitPattern: req.header.offset)) << 16
                                       | UInt64(req.header.extra))
                        reply.offset = req.header.offset
                        reply.extra = req.header.extra
                        data = req.header.command == BenchCommand.sink ? [] : req.data
                    }
                    try? conn.putrep(req, reply, data)
                }
            }.start()
        }
        try (cap.text + "\n").write(toFile: portFile, atomically: true, encoding: .utf8)
        print("serving on \(cap.text)")
        FileHandle.standardOutput.synchronizeFile()
        group.wait()
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask a server for its execution counters.")
    @Option var socket: String?
    @Option(help: "Run the program's own FLIP endpoint on this link (pcap:IFACE, udp:..., mcast:...) instead of going through amunixd.") var link: String?
    @Argument var portFile: String

    func run() throws {
        let cap = try readCap(portFile)
        let conn = try openAccess(link: link, socket: socket)
        var h = Header(capability: cap, command: BenchCommand.stats)
        h.size = 100
        let r = try conn.trans(h, [], timeout: .seconds(10))
        conn.close()
        print(String(decoding: r.data, as: UTF8.self))
    }
}

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run transactions against a server and time them.")
    @Option var socket: String?
    @Option(help: "Run the program's own FLIP endpoint on this link (pcap:IFACE, udp:..., mcast:...) instead of going through amunixd.") var link: String?
    @Option(help: "Bytes of data per request (and reply).") var size: Int = 0
    @Option(help: "Transactions in all.") var count: Int = 1000
    @Option(help: "Client threads.") var threads: Int = 1
    @Option(help: "Seconds before one transaction is given up.") var timeout: Double = 30
    @Option(help: "Unmeasured transactions first.") var warmup: Int = 0
    @Flag(help: "Print one machine-readable line: p50_us p99_us mbps ok failed mean_us.") var brief = false
    @Flag(help: "Each thread stops at its first failure.") var stopOnError = false
    @Flag(help: "Replies carry no data (measures one-way throughput).") var oneway = false
    @Option(help: "With --link: one thread keeps this many calls in flight (the endpoint's pipeline, as put and get use it) instead of a call per thread.") var pipeline: Int = 0
    @Argument var portFile: String

    func validate() throws {
        guard size >= 0, size <= 30000 else { throw ValidationError("--size must be 0 to 30000") }
        guard count >= 1, threads >= 1, threads <= 256 else { throw ValidationError("--count >= 1, --threads 1 to 256") }
        guard pipeline >= 0, pipeline <= 64 else { throw ValidationError("--pipeline takes 0 to 64") }
        guard pipeline == 0 || (link != nil && threads == 1) else {
            throw ValidationError("--pipeline needs --link (a FLIP endpoint of the program's own) and one thread")
        }
    }

    func run() throws {
        let cap = try readCap(portFile)
        let conn = try openAccess(link: link, socket: socket)
        var g = SystemRandomNumberGenerator()
        let tag = AmoebaCore.Port.random(using: &g)
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let to = Duration.milliseconds(Int64(timeout * 1000))
        for i in 0..<warmup {
            var h = Header(capability: cap, command: BenchCommand.echo)
            h.signature = tag.replacing(byte: 0, with: tag[0] ^ 0x80)
            h.offset = Int32(i)
            _ = try? conn.trans(h, payload, timeout: to)
        }
        let st = LoadState()
        let count = self.count, size = self.size, stopOnError = self.stopOnError
        let command = oneway ? BenchCommand.sink : BenchCommand.echo
        let expected = oneway ? [] : payload
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        if pipeline > 0, case .endpoint(let e) = conn {
            // One thread, `pipeline` calls in flight: each call's latency
            // runs from its start to its outcome.
            let p = e.pipeline(timeout: to)
            var began: [Int: UInt64] = [:]
            var next = 0
            while next < count || p.inFlight > 0 {
                while next < count && p.inFlight < pipeline {
                    var h = Header(capability: cap, command: command)
                    h.signature = tag
                    h.offset = Int32(truncatingIfNeeded: next >> 16)
                    h.extra = UInt16(truncatingIfNeeded: next)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    do {
                        try p.start(h, payload, tag: next)
                        began[next] = t0
                    } catch {
                        st.fail("\(error)")
                    }
                    next += 1
                }
                guard let (i, result) = p.next() else { break }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - began.removeValue(forKey: i)!) / 1000
                switch result {
                case .success(let r):
                    let right = r.data == expected && r.header.offset == Int32(truncatingIfNeeded: i >> 16)
                        && r.header.extra == UInt16(truncatingIfNeeded: i)
                    if right { st.ok(dt) } else { st.fail("WRONG_REPLY") }
                case .failure(let error):
                    st.fail("\(error)")
                }
            }
        }
        for _ in 0..<(pipeline > 0 ? 0 : threads) {
            group.enter()
            Thread {
                defer { group.leave() }
                while true {
                    let i = st.take()
                    if i >= count { return }
                    var h = Header(capability: cap, command: command)
                    h.signature = tag
                    h.offset = Int32(truncatingIfNeeded: i >> 16)
                    h.extra = UInt16(truncatingIfNeeded: i)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    do {
                        let r = try conn.trans(h, payload, timeout: to)
                        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000
                        let right = r.data == expected && r.header.offset == h.offset && r.header.extra == h.extra
                        if right { st.ok(dt) } else { st.fail("WRONG_REPLY") }
                    } catch {
                        st.fail("\(error)")
                        if stopOnError { return }
                    }
                }
            }.start()
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let latencies = st.latencies.sorted()
        let failures = st.failures
        func pct(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        let failed = failures.values.reduce(0, +)
        let mbps = Double(latencies.count * size * (oneway ? 1 : 2)) / elapsed / 1e6
        let mean = latencies.isEmpty ? 0 : latencies.reduce(0, +) / Double(latencies.count)
        if brief {
            print(String(format: "%.1f %.1f %.2f %d %d %.1f", pct(0.5), pct(0.99), mbps, latencies.count, failed, mean))
        } else {
            print(String(format: "transactions %d ok %d failed %d in %.2f s", count, latencies.count, failed, elapsed))
            print(String(format: "latency p50 %.1f us p90 %.1f us p99 %.1f us mean %.1f us; throughput %.2f MB/s (\(oneway ? "request data" : "request+reply data"))", pct(0.5), pct(0.9), pct(0.99), mean, mbps))
            for (k, v) in failures.sorted(by: { $0.key < $1.key }) { print("failure \(k): \(v)") }
            if case .endpoint(let e) = conn {
                let s = e.statistics
                print("endpoint: frames in \(s.flip.framesIn) out \(s.flip.framesOut) dropped \(s.flip.totalDropped); retransmissions \(s.client.retransmissions); locates \(s.flip.locatesSent)")
            }
        }
        conn.close()
        if failed > 0 { throw ExitCode(1) }
    }
}

/// The program's own endpoint on `link`, else the daemon; a failure is a
/// usage error with the reason.
func openAccess(link: String?, socket: String?) throws -> NetworkAccess {
    do { return try NetworkAccess.open(link: link, socket: socket) } catch { throw ValidationError(error.description) }
}

func readCap(_ path: String) throws -> Capability {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw ValidationError("\(path): cannot read")
    }
    return try Capability(text: text.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// What the bench server ran, to prove each request ran once. Kept as the
/// kernel's bench server keeps it (KernelCore's SeenSequences): a mark per
/// client, where a dictionary of every request hashed each one twice and
/// grew for the whole run, in the server's path of every transaction.
final class ServerCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = SeenSequences()
    private var executions = 0
    private var duplicates = 0

    func executed(client: UInt64, sequence: UInt64) {
        lock.lock()
        executions += 1
        if !seen.insert(client: client, sequence: sequence) { duplicates += 1 }
        lock.unlock()
    }

    func report() -> String {
        lock.lock()
        defer { lock.unlock() }
        return "executions \(executions) duplicates \(duplicates)"
    }
}

final class LoadState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private(set) var latencies: [Double] = []
    private(set) var failures: [String: Int] = [:]

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }

    func ok(_ microseconds: Double) {
        lock.lock()
        latencies.append(microseconds)
        lock.unlock()
    }

    func fail(_ why: String) {
        lock.lock()
        failures[why, default: 0] += 1
        lock.unlock()
    }
}
