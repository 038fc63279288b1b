// Loss, duplication and reordering between two node bodies: every request
// runs exactly once and every caller hears exactly once.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

@Suite struct NodeFaultTests {
    let getPort = Port(hex: "c1c2c3c4c5c6")!

    @Test func requestsUnderDropDuplicateAndReorderCompleteExactlyOnce() throws {
        let net = SimNetwork(seed: 21)
        let seg = net.addSegment(faults: FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2))
        var config = RPCConfiguration()
        config.serveTimeout = .milliseconds(200)
        config.enquireInterval = .milliseconds(500)
        config.crashTimeout = .seconds(5)
        let client = NodeHost(net, "client", on: [seg], seed: 210, configuration: config)
        let server = NodeHost(net, "server", on: [seg], seed: 211, configuration: config)
        var executions: [UInt64: Int] = [:]
        server.serve(getPort, threads: 2, owner: 1) { m in
            executions[key(of: m), default: 0] += 1
            return echo(m)
        }
        let total = 60
        for k in 1...total {
            // A few in flight at a time, large and small.
            client.trans(request(to: getPort.putPort, key: UInt64(k), size: [16, 3000, 200][k % 3]), owner: k)
            if k % 3 == 0 {
                #expect(net.run(until: { (1...k).allSatisfy { client.result($0) != nil } }, limit: .seconds(600)))
            }
        }
        net.run(for: .seconds(10))
        var succeeded = 0
        for k in 1...total {
            #expect(client.completions[k]?.count == 1, "owner \(k) heard \(client.completions[k]?.count ?? 0) times")
            let reply = try client.result(k)!.get()
            #expect(reply.header.offset == Int32(k))
            succeeded += 1
        }
        #expect(succeeded == total)
        #expect(executions.count == total)
        #expect(executions.values.allSatisfy { $0 == 1 })
        #expect(server.requests.count == total)
        #expect(net.framesDropped > 0 && net.framesDuplicated > 0 && net.framesReordered > 0)
    }
}
