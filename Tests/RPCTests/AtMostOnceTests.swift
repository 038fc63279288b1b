import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

/// The promise that matters most: under any faults, a server never runs a
/// request twice, and a client never takes a reply that is not its own.
@Suite struct AtMostOnceTests {
    let getPort = Port(hex: "0f0e0d0c0b0a")!

    /// Runs `total` transactions from `clientCount` clients, `inFlight` at a
    /// time each, and returns (client stacks, server, ids by key).
    func storm(seed: UInt64, total: Int, clientCount: Int, inFlight: Int, faults: FaultProfile,
               configuration: RPCConfiguration, threads: Int,
               sizeOf: (Int) -> Int = { _ in 16 }) -> (succeeded: Int, failed: Int, server: RPCStack, mismatched: Int) {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment(faults: faults)
        let server = RPCStack(net, name: "server", on: [seg], seed: seed &+ 1, configuration: configuration)
        server.serve(getPort, threads: threads, handler: echo)
        let clients = (0..<clientCount).map { i in
            RPCStack(net, name: "c\(i)", on: [seg], seed: seed &+ 100 &+ UInt64(i), configuration: configuration)
        }
        var next = 0
        var open: [(RPCStack, SimOwner, RPCMessage)] = []
        var succeeded = 0, failed = 0, mismatched = 0
        var failures: [String] = []
        func refill() {
            for c in clients {
                while open.filter({ $0.0 === c }).count < inFlight, next < total {
                    let req = request(to: getPort.putPort, key: UInt64(next) + 1, size: sizeOf(next))
                    open.append((c, c.trans(req), req))
                    next += 1
                }
            }
        }
        refill()
        while !open.isEmpty {
            let progressed = net.run(until: { open.contains { $0.0.results[$0.1] != nil } }, limit: .seconds(600))
            guard progressed else { break }
            open.removeAll { (c, id, req) in
                guard let r = c.results[id] else { return false }
                switch r {
                case .success(let reply):
                    succeeded += 1
                    if reply.data != req.data.reversed() || reply.header.offset != req.header.offset { mismatched += 1 }
                case .failure(let e):
                    failed += 1
                    failures.append("\(e.name) key \(key(of: req)) at \(net.now)")
                }
                return true
            }
            refill()
        }
        if !failures.isEmpty { print("failures:", failures.prefix(10)) }
        return (succeeded, failed, server, mismatched)
    }

    @Test func tenThousandTransactionsUnderFaultsRunEachRequestAtMostOnce() {
        let faults = FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2)
        let r = storm(seed: 2024, total: 10_000, clientCount: 4, inFlight: 4, faults: faults,
                      configuration: quickConfiguration(), threads: 4)
        #expect(r.server.executions.values.allSatisfy { $0 == 1 }, "a request ran twice")
        #expect(r.mismatched == 0)
        #expect(r.succeeded + r.failed == 10_000)
        #expect(r.succeeded == 10_000, "every transaction should get through these faults")
        // Every success was executed exactly once; nothing else executed.
        #expect(r.server.executions.count == r.succeeded)
        // The faults really exercised the recovery paths.
        let s = r.server.serverRPC
        #expect(s.duplicatesRefused > 0)
        for type in [AmpType.locate, .request, .ack, .received] {
            #expect(s.received[Int(type.rawValue)] > 0, "server never received \(type)")
        }
        for type in [AmpType.hereIs, .reply, .received, .nak] {
            #expect(s.sent[Int(type.rawValue)] > 0, "server never sent \(type)")
        }
    }

    /// With room to remember only one client kernel, Amoeba 5.3 would run
    /// late duplicates of forgotten kernels again. We may fail them, but
    /// never run them twice.
    @Test func aFullLedgerNeverRunsARequestTwice() {
        var config = quickConfiguration()
        config.ledgerKernels = 1
        config.ledgerSummaries = 4
        let faults = FaultProfile(drop: 0.1, duplicate: 0.3, reorder: 0.3, delay: 0.3, maxDelay: .milliseconds(400))
        let r = storm(seed: 77, total: 1_000, clientCount: 4, inFlight: 2, faults: faults,
                      configuration: config, threads: 4)
        #expect(r.server.executions.values.allSatisfy { $0 == 1 }, "a request ran twice")
        #expect(r.mismatched == 0)
        #expect(r.succeeded + r.failed == 1_000)
        #expect(r.succeeded > 0)
        // Forgotten kernels' late copies were refused with FAIL.
        #expect(r.server.serverRPC.duplicatesRefused > 0)
        #expect(r.server.serverRPC.sent[Int(AmpType.fail.rawValue)] > 0)
    }

    /// Corruption is outside the protocol's model (Ethernet's CRC removes
    /// it in practice; FLIP and RPC carry no checksum): a corrupted tid can
    /// make a copy look new. What must hold is that nothing traps or hangs.
    @Test func corruptionAndTruncationNeverTrapOrHang() {
        let faults = FaultProfile(drop: 0.05, duplicate: 0.05, reorder: 0.05, corrupt: 0.02, truncate: 0.02)
        let r = storm(seed: 31, total: 300, clientCount: 2, inFlight: 2, faults: faults,
                      configuration: quickConfiguration(), threads: 2, sizeOf: { i in [16, 1500, 4000, 12000][i % 4] })
        #expect(r.succeeded + r.failed == 300)
        #expect(r.succeeded > 200)
    }
}
