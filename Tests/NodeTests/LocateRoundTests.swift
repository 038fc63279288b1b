// The locate schedule as it meets the networks a box has. Amoeba's rounds
// go out at budgets 1, 3, 7, 15, 25, 100 ms apart, and an Ethernet weighs
// 3: the first round reaches only the box's own servers, which answer
// before the box is drained. A round that can reach nothing more is over
// then, not 100 ms later; a box with no network at all keeps the schedule
// (skipping would only spin through the rounds).

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

@Suite struct LocateRoundTests {
    let getPort = Port(hex: "c1c2c3c4c5c6")!
    var putPort: Port { getPort.putPort }

    @Test func aRoundThatReachesNoNetworkIsNotWaitedOut() throws {
        let (net, client, server) = clientAndServer(seed: 41)
        server.serve(getPort, threads: 1, owner: 1, with: echo)
        let start = net.now
        client.trans(request(to: putPort, key: 1), owner: 1)
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(2)))
        #expect(try client.result(1)!.get().header.status == .ok)
        // The second round (budget 3, one Ethernet) went out at once.
        #expect(client.completedAt(1)! - start < .milliseconds(10))
        #expect(client.node.statistics.client.sent[Int(AmpType.locate.rawValue)] == 2)
    }

    @Test func aServerOnTheClientsOwnNodeIsFoundWithoutAFrame() throws {
        let net = SimNetwork(seed: 42)
        let seg = net.addSegment()
        let host = NodeHost(net, "both", on: [seg], seed: 421)
        host.serve(getPort, threads: 1, owner: 1, with: echo)
        host.trans(request(to: putPort, key: 2), owner: 2)
        #expect(net.run(until: { host.result(2) != nil }, limit: .seconds(2)))
        #expect(try host.result(2)!.get().header.status == .ok)
        #expect(host.node.statistics.client.sent[Int(AmpType.locate.rawValue)] == 1)
        #expect(net.framesSent == 0)
    }

    @Test func aBoxWithNoNetworkKeepsTheSchedule() throws {
        let net = SimNetwork(seed: 43)
        let alone = NodeHost(net, "alone", on: [], seed: 431)
        let start = net.now
        alone.trans(request(to: putPort, key: 3), owner: 3)
        #expect(net.run(until: { alone.result(3) != nil }, limit: .seconds(30)))
        guard case .failure(let error)? = alone.result(3) else {
            Issue.record("a port nobody serves was found: \(String(describing: alone.result(3)))")
            return
        }
        #expect(error == .rpcNotFound)
        // Rounds 100 ms apart, then further apart: some tens in the locate
        // timeout, not a round per microsecond.
        #expect(alone.completedAt(3)! - start >= RPCConfiguration().locateTimeout)
        #expect(alone.node.statistics.client.sent[Int(AmpType.locate.rawValue)] < 60)
    }
}
