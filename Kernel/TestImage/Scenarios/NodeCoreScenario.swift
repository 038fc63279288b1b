// Scenario `nodecore`: the node body (Sources/Node: the FLIP box and RPC
// machines amunixd runs) inside the kernel, two of them wired back to back
// in memory, as `rpc_bench core` does on Linux. It proves the one body
// runs here and not only compiles, and under the test runner's
// `-icount shift=0` its counts are guest instructions: what one null
// transaction costs the protocol machines of both ends, the part of a
// remote transaction no NIC or wakeup explains.
import AmoebaCore
import FLIP
import Node
import RPC

enum NodeCoreScenario {
    static func run() {
        var random = EntropyGenerator()
        let client = Node<Int>(using: &random)
        let server = Node<Int>(using: &random)
        client.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        server.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let getPort = Port.random(using: &random)
        for _ in 0..<4 { _ = server.getreq(port: getPort, owner: 0) }
        var h = Header()
        h.port = getPort.putPort
        let request = RPCMessage(header: h)
        var pair = Wire(client: client, server: server, getPort: getPort)

        for _ in 0..<50 { _ = pair.transact(request) }   // locate, routes, warm caches
        let rounds: UInt64 = 500
        var failures = 0
        let frames0 = pair.frames
        let t0 = cpu_rdtsc()
        for _ in 0..<rounds where !pair.transact(request) { failures += 1 }
        let counts = (cpu_rdtsc() &- t0) / rounds
        let frames = (pair.frames - frames0) / Int(rounds)
        print("nodecore: \(rounds) null transactions between two node bodies in memory: \(counts) counts each (both ends), \(frames) frames each, \(failures) failed")
        print("nodecore: executions \(pair.executions)")
        if failures == 0 && pair.executions == 550 { Machine.pass() } else { Machine.fail("node body transactions failed") }
    }

    /// Two node bodies and the perfect wire between them.
    struct Wire {
        let client: Node<Int>
        let server: Node<Int>
        let getPort: Port
        var frames = 0
        var executions = 0
        var now = Instant.zero

        /// One transaction, start to finish; the clock moves a microsecond
        /// per step, so no protocol timer fires. False when it failed.
        /// Driven as the network thread drives its node: each output moved
        /// out and consumed (`drainOutputs`), each frame handed back once
        /// the wire has it (`recycle`), as `rpc_bench core` does on Linux.
        mutating func transact(_ request: RPCMessage) -> Bool {
            client.trans(request, owner: 1, deadline: nil, now: now)
            let wire = InterfaceID(rawValue: 0)
            for _ in 0..<10_000 {
                now = now + .microseconds(1)
                var moved = false
                var result: Bool? = nil
                client.drainOutputs { (o: consuming NodeOutput<Int>) in
                    moved = true
                    switch consume o {
                    case .transmit(_, let frame):
                        frames += 1
                        server.receive(frame: frame, on: wire, now: now)
                        client.recycle(frame: frame)
                    case .transactionCompleted(_, let r):
                        if case .success = r { result = true } else { result = false }
                    case .requestArrived, .upperLayerReady:
                        break
                    }
                }
                // Done once the frames that came out with the result (the
                // reply's acknowledgement) are on the wire too.
                if let r = result { return r }
                server.drainOutputs { (o: consuming NodeOutput<Int>) in
                    moved = true
                    switch consume o {
                    case .transmit(_, let frame):
                        frames += 1
                        client.receive(frame: frame, on: wire, now: now)
                        server.recycle(frame: frame)
                    case .requestArrived(_, let slot, _):
                        executions += 1
                        var reply = Header()
                        reply.status = .ok
                        server.putrep(slot, RPCMessage(header: reply), now: now)
                        _ = server.getreq(port: getPort, owner: 0)
                    case .transactionCompleted, .upperLayerReady:
                        break
                    }
                }
                if !moved {
                    // Quiet: let the protocol timers (the reply's acknowledgement) run.
                    if let d = earliest(client.nextDeadline, server.nextDeadline) { now = max(now, d) }
                    client.tick(now: now)
                    server.tick(now: now)
                }
            }
            return false
        }
    }
}
