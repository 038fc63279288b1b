// Scaling properties of a port locate on the simulated network, pinned so
// that a change which makes a locate cost more per node, or flood more,
// fails here rather than on a large installation: among many hosts on ten
// segments joined by gateways, the client finds a port on the farthest
// segment in the locate round whose hop budget first reaches it, and the
// frames the locate puts on the wires depend on the segments, not on how
// many hosts listen.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
@testable import SimNet

/// What one port locate cost: a first transaction (which locates) minus a
/// second (which finds the port in the cache).
private struct LocateCost {
    var found: Interval
    var budget: UInt16
    var frames: Int
    var receptions: Int
    var gateways: Int
}

private func measureLocate(hosts: Int, segments: Int, layout: GatewayLayout) throws -> LocateCost {
    let net = SimNetwork(seed: 31)
    let topology = SimTopology(on: net, segments: segments, layout: layout)
    let serverIndex = try #require((1..<hosts).first { topology.segment(forHost: $0) == topology.far })
    var client: NodeHost!
    var server: NodeHost!
    for i in 0..<hosts {
        let seg = topology.segment(forHost: i)
        if i == 0 {
            client = NodeHost(net, "client", on: [seg], seed: 1000)
        } else if i == serverIndex {
            server = NodeHost(net, "server", on: [seg], seed: 2000)
        } else {
            _ = net.addNode(name: "h\(i)", on: [seg])   // idle, but listening
        }
    }
    let getPort = Port(bytes: [1, 2, 3, 4, 5, 6])!
    server.serve(getPort, threads: 2, owner: 0, with: echo)
    var budget: UInt16 = 0
    net.onTransmit = { node, _, bytes in
        if node === client.sim, let h = (try? EthernetFrame.decode(bytes))?.flip, h.packetType == .multidata {
            budget = h.maximumHops
        }
    }
    let hereIs = Int(AmpType.hereIs.rawValue)
    client.trans(request(to: getPort.putPort, key: 1), owner: 1)
    #expect(net.run(until: { client.node.statistics.client.received[hereIs] > 0 }, limit: .seconds(5)))
    let found = net.now - .zero
    let foundBudget = budget
    #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(5)))
    net.run(for: .seconds(1))
    let frames1 = net.framesSent, rx1 = net.framesDelivered
    client.trans(request(to: getPort.putPort, key: 2), owner: 2)
    #expect(net.run(until: { client.result(2) != nil }, limit: .seconds(5)))
    net.run(for: .seconds(1))
    let frames2 = net.framesSent - frames1, rx2 = net.framesDelivered - rx1
    guard case .success? = client.result(1), case .success? = client.result(2) else {
        Issue.record("transactions failed: \(String(describing: client.result(1))) \(String(describing: client.result(2)))")
        return LocateCost(found: found, budget: foundBudget, frames: 0, receptions: 0, gateways: 0)
    }
    return LocateCost(found: found, budget: foundBudget, frames: frames1 - frames2, receptions: rx1 - rx2,
                      gateways: topology.gateways.count)
}

@Suite struct ScaleTests {
    /// The Amoeba schedule is budgets 1, 3, 7, 15, 25, 100 ms apart; each
    /// Ethernet costs 3, so the first round reaches only the client's own
    /// box and is over once the box has answered: 3 goes out at once, 25
    /// at 300 ms. Halfway round a ring of ten segments is six Ethernets
    /// (18 hops): the round of 25 finds it, 300 ms in. The far leaf of a
    /// star is three Ethernets (9): the round of 15, 200 ms in.
    @Test(arguments: [(GatewayLayout.ring, UInt16(25), Int64(300)), (.star, 15, 200)])
    func locateFindsTheFarSegmentInTheFirstRoundThatReachesIt(layout: GatewayLayout, budget: UInt16, atMs: Int64) throws {
        let c = try measureLocate(hosts: 100, segments: 10, layout: layout)
        #expect(c.budget == budget)
        #expect(c.found >= .milliseconds(atMs) && c.found < .milliseconds(atMs + 5))
    }

    /// Each round is one frame from the client and at most one copy per
    /// gateway interface it crosses (duplicates in loops are dropped, not
    /// forwarded); the answer and the route it teaches cost a few frames
    /// per Ethernet on the way. None of that depends on the hosts.
    @Test func framesPerLocateGrowWithSegmentsNotHosts() throws {
        let few = try measureLocate(hosts: 20, segments: 10, layout: .ring)
        let many = try measureLocate(hosts: 200, segments: 10, layout: .ring)
        let rounds = 5
        #expect(many.frames <= rounds * (1 + 2 * many.gateways) + 4 * 6)
        #expect(many.frames == few.frames)
        // Every host on a reached segment hears each round once: receptions
        // grow with the hosts, but no faster.
        #expect(many.receptions <= rounds * (200 + 2 * many.gateways) * 2)
        #expect(many.receptions > few.receptions)
    }

    /// What one cached transaction costs the simulator among many idle
    /// hosts on the segment: each unicast frame reaches its one receiver
    /// (the segment filters as a network card does), and no step asks
    /// the idle hosts for their deadlines. Either regression makes the
    /// simulation of K clients cost K times more per transaction.
    @Test func idleHostsCostTheSimulatorNothingPerTransaction() throws {
        let net = SimNetwork(seed: 5)
        let seg = net.addSegment()
        let client = NodeHost(net, "client", on: [seg], seed: 1)
        let server = NodeHost(net, "server", on: [seg], seed: 2)
        for i in 0..<1000 { _ = net.addNode(name: "idle\(i)", on: [seg]) }
        let getPort = Port(bytes: [6, 5, 4, 3, 2, 1])!
        server.serve(getPort, threads: 4, owner: 0, with: echo)
        client.trans(request(to: getPort.putPort, key: 0), owner: 0)
        #expect(net.run(until: { client.result(0) != nil }, limit: .seconds(2)))
        net.run(for: .seconds(1))
        let sent = net.framesSent, received = net.framesDelivered, reads = net.deadlines.reads
        for k in 1...20 {
            client.trans(request(to: getPort.putPort, key: UInt64(k)), owner: k)
        }
        #expect(net.run(until: { (1...20).allSatisfy { client.result($0) != nil } }, limit: .seconds(2)))
        net.run(for: .seconds(1))
        for k in 1...20 { #expect(client.result(k).map { if case .success = $0 { true } else { false } } == true) }
        let frames = net.framesSent - sent
        #expect(frames >= 40)
        #expect(net.framesDelivered - received == frames)
        // Each frame touches its sender and receiver; each of the two runs
        // rescans the 1002 nodes once, the only cost per idle node. Asking
        // every node at every step would cost 1002 reads per step.
        #expect(net.deadlines.reads - reads <= 2 * 1002 + 10 * frames)
    }

    /// A driver's timer runs when the clock reaches it, in the order set.
    @Test func driverTimersRunInVirtualTime() {
        let net = SimNetwork(seed: 1)
        var fired: [(Int, Int64)] = []
        net.schedule(at: Instant(microseconds: 300)) { fired.append((2, net.now.microseconds)) }
        net.schedule(at: Instant(microseconds: 100)) { fired.append((1, net.now.microseconds)) }
        net.schedule(at: Instant(microseconds: 300)) { fired.append((3, net.now.microseconds)) }
        net.run(for: .microseconds(200))
        #expect(fired.map(\.0) == [1])
        net.run(for: .microseconds(200))
        #expect(fired.map(\.0) == [1, 2, 3])
        #expect(fired.map(\.1) == [100, 300, 300])
    }

    /// The shapes put the far segment where their comments say.
    @Test func topologiesPlaceTheFarSegment() {
        let net = SimNetwork(seed: 1)
        let ring = SimTopology(on: net, segments: 10, layout: .ring)
        #expect(ring.gateways.count == 10 && ring.ethernetHops == 6 && ring.far == ring.segments[5])
        let star = SimTopology(on: net, segments: 10, layout: .star)
        #expect(star.gateways.count == 9 && star.ethernetHops == 3 && star.near == star.segments[1])
        let chain = SimTopology(on: net, segments: 10, layout: .chain)
        #expect(chain.gateways.count == 9 && chain.ethernetHops == 10 && chain.far == chain.segments[9])
        let one = SimTopology(on: net, segments: 1, layout: .ring)
        #expect(one.gateways.isEmpty && one.near == one.far)
    }
}
