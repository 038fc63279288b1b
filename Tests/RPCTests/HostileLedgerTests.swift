// Issue 10, item 1 replayed on the simulated network: forged REQUESTs, by
// broadcast and by unicast, with every kid and tid 0xFFFFFFF0, must not
// stop a real client, old or new, from being served.

import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

@Suite struct HostileLedgerTests {
    let getPort = Port(hex: "0f0e0d0c0b0a")!

    struct World {
        let net: SimNetwork
        let seg: SegmentID
        let server: RPCStack
        let victim: RPCStack
        var serverMAC: EthernetAddress { server.node.box.interfaceMAC(server.node.interfaces[0])! }
    }

    func world(seed: UInt64) -> World {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment()
        let config = quickConfiguration()
        let server = RPCStack(net, name: "server", on: [seg], seed: seed &+ 1, configuration: config)
        server.serve(getPort, threads: 4, handler: echo)
        let victim = RPCStack(net, name: "victim", on: [seg], seed: seed &+ 2, configuration: config)
        return World(net: net, seg: seg, server: server, victim: victim)
    }

    func call(_ w: World, _ stack: RPCStack, key: UInt64) -> Result<RPCMessage, ErrorCode>? {
        let id = stack.trans(request(to: getPort.putPort, key: key))
        w.net.run(until: { stack.results[id] != nil }, limit: .seconds(60))
        return stack.results[id]
    }

    /// 4,400 forged REQUESTs, one kid and one source address each, tid
    /// 0xFFFFFFF0; their executions are keyed from 1,000,000 up.
    func flood(_ w: World, broadcast: Bool) {
        for i in 0..<4400 {
            let forged = Forgery.request(port: getPort.putPort, kid: Forgery.address(UInt64(i) &* 0x9E37_79B9_7F4A_7C15),
                                         tid: 0xFFFF_FFF0, source: Forgery.address(UInt64(i + 1) << 8),
                                         mac: Forgery.mac(UInt64(i)), server: w.server.node.node.serverAddress,
                                         serverMAC: w.serverMAC, broadcast: broadcast, messageID: UInt32(i), key: 1_000_000 + UInt64(i))
            w.net.inject(forged, on: w.seg)
            if i % 100 == 99 { w.net.run(for: .milliseconds(10)) }
        }
    }

    func succeeded(_ r: Result<RPCMessage, ErrorCode>?) -> Bool {
        if case .success = r { return true }
        return false
    }

    /// Thousands of broadcast REQUESTs, one per kid, tid 0xFFFFFFF0: none is
    /// taken, and both the victim and a client that starts afterwards are
    /// served.
    @Test func broadcastRequestsAreNotRequests() {
        let w = world(seed: 10)
        #expect(succeeded(call(w, w.victim, key: 1)))
        flood(w, broadcast: true)
        w.net.run(for: .seconds(1))
        #expect(w.server.serverRPC.broadcastRefused >= 4400)
        #expect(!w.server.executions.keys.contains { $0 >= 1_000_000 }, "a broadcast request ran")
        #expect(succeeded(call(w, w.victim, key: 2)))
        let newcomer = RPCStack(w.net, name: "newcomer", on: [w.seg], seed: 99, configuration: quickConfiguration())
        #expect(succeeded(call(w, newcomer, key: 3)))
    }

    /// The same flood sent unicast from forged addresses: the requests run
    /// (they look like any stranger's), but nobody acknowledges their
    /// replies, so they leave nothing behind once their slots time out.
    @Test func unicastForgedClientsLeaveNoFloorBehind() {
        let w = world(seed: 11)
        #expect(succeeded(call(w, w.victim, key: 1)))
        flood(w, broadcast: false)
        // The forged requests' slots give up on their silent clients.
        w.net.run(for: .seconds(8))
        let usage = w.server.node.node.serverLedgerUsage
        #expect(usage.summaries <= 1, "only the victim, proven, may leave a summary")
        #expect(usage.histories <= RPCConfiguration().ledgerKernels)
        // Their unacknowledged replies filled the state table; the server
        // gave the oldest up rather than stop listening (item 3).
        #expect(w.server.serverRPC.repliesReclaimed > 0)
        #expect(succeeded(call(w, w.victim, key: 2)))
        let newcomer = RPCStack(w.net, name: "newcomer", on: [w.seg], seed: 99, configuration: quickConfiguration())
        #expect(succeeded(call(w, newcomer, key: 3)))
        #expect(succeeded(call(w, w.victim, key: 4)))
    }

    /// One forged REQUEST carrying the victim's kid, from another address,
    /// with a tid far ahead: the victim's next call still runs.
    @Test func aForgedRequestWithTheVictimsKidDoesNotFailTheVictim() {
        let w = world(seed: 12)
        #expect(succeeded(call(w, w.victim, key: 1)))
        let forged = Forgery.request(port: getPort.putPort, kid: w.victim.node.node.clientKid, tid: 0xFFFF_FFF0,
                                     source: Forgery.address(0x4242_4242_4242_4200), mac: Forgery.mac(7),
                                     server: w.server.node.node.serverAddress, serverMAC: w.serverMAC,
                                     broadcast: false, messageID: 1, key: 1_000_000)
        w.net.inject(forged, on: w.seg)
        w.net.run(for: .milliseconds(100))
        #expect(succeeded(call(w, w.victim, key: 2)))
        #expect(w.server.executions[2] == 1)
    }
}
