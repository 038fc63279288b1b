// rpc_bench scale, curve b: one server against many concurrent clients.
//
// One segment; a server node with a fixed number of getreq slots, and K
// client nodes each running null transactions back to back (a new one as
// soon as the last one's reply is in). The server may hold each request for
// a service time of virtual time before answering, so that its slots, not
// only the wire's latency, bound what it can do. Throughput is counted in
// virtual time over a measured window after every client has found the
// server and a warm-up has passed; host CPU over the
// same window, divided by the transactions in it.

import AmoebaCore
import FLIP
import Foundation
import Node
import RPC
import SimNet

struct LoadPoint {
    var clients: Int
    var slots: Int
    var transactions: Int
    var window: Interval
    var cpu: Int64
    var frames: Int
    var failures: Int
    var retransmissions: Int
    var naks: Int
    var enquiries: Int
    var latencyP50: Interval
    var latencyMax: Interval
    /// Clients that had found the server before the window, and clients
    /// with at least one transaction finished in it: fewer than K means
    /// some waited through the whole window.
    var located: Int
    var served: Int
    /// What the failed transactions ended with, by error name.
    var failureKinds: [String: Int]

    var perSecond: Double { Double(transactions) / (Double(window.microseconds) / 1e6) }
    var cpuPerTransaction: Double { transactions == 0 ? 0 : Double(cpu) / Double(transactions) }
}

enum LoadBench {
    static func run(clients: Int, slots: Int, service: Interval, warmup: Interval, window: Interval,
                    seed: UInt64) -> LoadPoint {
        let net = SimNetwork(seed: seed)
        let segment = net.addSegment()
        var g = SimRandom(seed: seed &+ 0x5EED)  // seeded: runs repeat
        let getPort = AmoebaCore.Port.random(using: &g)
        let server = net.addNode(name: "server", on: [segment])
        server.onOutput = { o in
            guard case .requestArrived(_, let slot, _) = o else { return }
            func answer() {
                var h = Header()
                h.status = .ok
                server.node.putrep(slot, RPCMessage(header: h), now: net.now)
                _ = server.node.getreq(port: getPort, owner: 0)
            }
            if service.microseconds <= 0 {
                answer()
            } else {
                net.schedule(at: net.now + service) {
                    answer()
                    net.flush(server)
                }
            }
        }
        for _ in 0..<slots { _ = server.node.getreq(port: getPort, owner: 0) }
        net.flush(server)

        let request = RPCMessage(header: Header(port: getPort.putPort, command: 0))
        var measuring = false
        var done = 0, failed = 0
        var latencies: [Int64] = []
        var servedIn = Set<Int>()
        var kinds: [String: Int] = [:]
        var nodes: [SimNode] = []
        var located = 0
        for k in 0..<clients {
            let c = net.addNode(name: "c\(k)", on: [segment])
            nodes.append(c)
            var started = Instant.zero
            var found = false
            c.onOutput = { o in
                guard case .transactionCompleted(_, let result) = o else { return }
                if case .success = result, !found {
                    found = true
                    located += 1
                }
                if measuring {
                    if case .success = result {
                        done += 1
                        servedIn.insert(k)
                        latencies.append((net.now - started).microseconds)
                    } else if case .failure(let code) = result {
                        failed += 1
                        kinds[code.name, default: 0] += 1
                    }
                }
                started = net.now
                c.node.trans(request, owner: k, deadline: nil, now: net.now)
            }
            // Staggered by a microsecond each, as real clients would be.
            net.schedule(at: Instant(microseconds: Int64(k))) {
                started = net.now
                c.node.trans(request, owner: k, deadline: nil, now: net.now)
                net.flush(c)
            }
        }
        // Every client has located the port (100 ms or more of locate
        // rounds) before the warm-up starts: the curve is about serving.
        net.run(until: { located == clients }, limit: .seconds(10))
        net.run(for: warmup)
        func counters() -> (frames: Int, retrans: Int, naks: Int, enquiries: Int) {
            var r = 0, n = 0, e = 0
            for x in nodes + [server] {
                let s = x.node.statistics
                r += s.client.retransmissions + s.server.retransmissions
                n += s.server.sent[Int(AmpType.nak.rawValue)]
                e += s.client.sent[Int(AmpType.enquire.rawValue)]
            }
            return (net.framesSent, r, n, e)
        }
        let before = counters()
        let locatedBefore = located
        measuring = true
        let cpuStart = cpuMicroseconds()
        net.run(for: window)
        let cpu = cpuMicroseconds() - cpuStart
        measuring = false
        let after = counters()
        latencies.sort()
        return LoadPoint(clients: clients, slots: slots, transactions: done, window: window, cpu: cpu,
                         frames: after.frames - before.frames, failures: failed,
                         retransmissions: after.retrans - before.retrans, naks: after.naks - before.naks,
                         enquiries: after.enquiries - before.enquiries,
                         latencyP50: .microseconds(latencies.isEmpty ? 0 : latencies[latencies.count / 2]),
                         latencyMax: .microseconds(latencies.last ?? 0), located: locatedBefore, served: servedIn.count,
                         failureKinds: kinds)
    }
}
