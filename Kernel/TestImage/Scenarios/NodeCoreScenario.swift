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
        // The same two nodes and driving as `rpc_bench core` (NodePair).
        var pair = NodePair(using: &random)
        var h = Header()
        h.port = pair.putPort
        let request = RPCMessage(header: h)

        for _ in 0..<50 { _ = pair.transact(request, steps: 10_000) }   // locate, routes, warm caches
        let rounds: UInt64 = 500
        var failures = 0
        let frames0 = pair.frames
        let t0 = cpu_rdtsc()
        for _ in 0..<rounds {
            if pair.transact(request, steps: 10_000) != nil { failures += 1 }
        }
        let counts = (cpu_rdtsc() &- t0) / rounds
        let frames = (pair.frames - frames0) / Int(rounds)
        print("nodecore: \(rounds) null transactions between two node bodies in memory: \(counts) counts each (both ends), \(frames) frames each, \(failures) failed")
        print("nodecore: executions \(pair.executions)")
        if failures == 0 && pair.executions == 550 { Machine.pass() } else { Machine.fail("node body transactions failed") }
    }
}
