// Issue 10, item 4 on the simulated network: a stranger who cannot see the
// traffic claims a silent server's FLIP address from its own MACs (data
// frames, HEREIS with guessed ids, LOCATEs from the address) every second.
// The client's next call still reaches the server, and its route still
// points at the server's MAC. A server that really moved (restarted behind
// a new MAC with the same address) is still found.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet
@testable import RPC

@Suite struct HostileRouteTests {
    let getPort = Port(hex: "0f0e0d0c0b0a")!

    func call(_ net: SimNetwork, _ stack: RPCStack, key: UInt64, limit: Interval = .seconds(60)) -> Bool {
        let id = stack.trans(request(to: getPort.putPort, key: key))
        net.run(until: { stack.results[id] != nil }, limit: limit)
        if case .success = stack.results[id] { return true }
        return false
    }

    func mac(_ s: RPCStack) -> EthernetAddress { s.node.box.interfaceMAC(s.node.interfaces[0])! }

    /// An echo server and a client on one segment, the client's first
    /// call made: each test then turns on the server's route.
    func servedClient(seed: UInt64) -> (SimNetwork, SegmentID, RPCStack, RPCStack) {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment()
        let server = RPCStack(net, name: "server", on: [seg], seed: seed + 1, configuration: quickConfiguration())
        server.serve(getPort, threads: 2, handler: echo)
        let client = RPCStack(net, name: "client", on: [seg], seed: seed + 2, configuration: quickConfiguration())
        #expect(call(net, client, key: 1))
        return (net, seg, server, client)
    }

    @Test func aSilentServerKeepsItsRouteAgainstAStrangerClaimingIt() {
        let (net, seg, server, client) = servedClient(seed: 40)
        let serverAddress = server.node.node.serverAddress
        let clientAddress = client.node.node.address
        let strangers = (1...3).map { Forgery.mac(0xBAD0 + UInt64($0)) }
        var sentToStrangers = 0
        net.onTransmit = { node, _, bytes in
            if node === client.node, let f = try? EthernetFrame.decode(bytes), strangers.contains(f.destination) {
                sentToStrangers += 1
            }
        }
        // 45 s of silence from the server, a stranger's claims every second.
        for second in 1...45 {
            let from = strangers[second % strangers.count]
            net.inject(Forgery.frame(.unidata, from: from, to: mac(client), source: serverAddress,
                                     destination: clientAddress, messageID: UInt32(second), payload: [1, 2, 3]), on: seg)
            net.inject(Forgery.frame(.hereIs, from: from, to: mac(client), source: clientAddress,
                                     destination: serverAddress, messageID: UInt32(second) &* 0x9E37_79B9,
                                     payload: [1, 0, 1, 0]), on: seg)
            net.inject(Forgery.frame(.locate, from: from, to: .broadcast, source: serverAddress,
                                     destination: Forgery.address(0x7777), messageID: UInt32(1000 + second),
                                     payload: []), on: seg)
            net.run(for: .seconds(1))
        }
        let start = net.now
        #expect(call(net, client, key: 2, limit: .seconds(10)))
        #expect(net.now - start < .seconds(1), "the call needs no relocation")
        #expect(sentToStrangers == 0, "the client sent to a stranger's MAC")
        #expect(client.node.box.routes.best(serverAddress, budget: 25, now: net.now)?.location == mac(server))
        #expect(client.node.box.statistics.routeClaimsHeldBack > 0)
    }

    /// The server restarts behind a new MAC (same identities, same FLIP
    /// address) two seconds after a call, well inside the answer window.
    /// The first call after it goes to the old MAC and fails as for any
    /// crashed server (RPC_FAILURE after the crash timeout); the next one
    /// locates the port, the answer from the new MAC starts one probe, and
    /// the call goes there.
    @Test func aServerThatMovedIsFoundWithinOneLocateRound() {
        let (net, seg, server, client) = servedClient(seed: 50)
        net.run(for: .seconds(2))
        net.kill(server.node)
        let moved = RPCStack(net, name: "server again", on: [seg], seed: 51, configuration: quickConfiguration())
        moved.serve(getPort, threads: 2, handler: echo)
        #expect(moved.node.node.serverAddress == server.node.node.serverAddress)
        #expect(mac(moved) != mac(server))
        #expect(!call(net, client, key: 2, limit: .seconds(30)), "the request went to the old MAC")
        let probes = client.node.box.statistics.routeProbes
        let start = net.now
        #expect(call(net, client, key: 3, limit: .seconds(30)))
        #expect(net.now - start < .milliseconds(500), "found after \(net.now - start)")
        #expect(client.node.box.statistics.routeProbes - probes == 1)
        #expect(client.node.box.routes.best(moved.node.node.serverAddress, budget: 25, now: net.now)?.location == mac(moved))
    }
}
