// An upper layer beside RPC on a node's box: it gets what arrives for its
// own endpoint (and nothing meant for RPC), its timers run, its frames
// leave with the node's, and the node says when it has results.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

/// A toy protocol: echoes every message back once, on a timer.
final class EchoLayer: NodeUpperLayer {
    let box: FLIPBox
    let endpoint: EndpointID
    var received: [FLIPDelivery] = []
    var others = 0
    var pending: [(to: FLIPAddress, message: [UInt8])] = []
    var due: Instant?
    var collected = 0

    init(on node: Node<SimOwner>, address: FLIPAddress) {
        box = node.box
        endpoint = box.register(privateAddress: address)
    }

    var address: FLIPAddress { box.address(of: endpoint)! }

    func handle(_ event: FLIPEvent, now: Instant) {
        // Broadcasts (RPC's port locates among them) reach every endpoint;
        // a real layer reads their protocol id, this one ignores them.
        guard case .deliver(let d) = event, d.endpoint == endpoint, !d.isMulticast else {
            others += 1
            return
        }
        received.append(d)
        if d.message.first != 0xEE {
            pending.append((d.source, [0xEE] + d.message))
            due = now + .milliseconds(10)
        }
    }

    func tick(now: Instant) {
        guard let d = due, d <= now else { return }
        due = nil
        for p in pending { box.unicast(p.message, from: endpoint, to: p.to, now: now) }
        pending.removeAll()
    }

    var nextDeadline: Instant? { due }
    var hasOutputs: Bool { received.count > collected }
}

@Suite struct NodeUpperLayerTests {
    @Test func aLayerBesideRPCGetsItsOwnTrafficAndRunsItsTimers() throws {
        let net = SimNetwork(seed: 31)
        let seg = net.addSegment()
        let a = NodeHost(net, "a", on: [seg], seed: 310)
        let b = NodeHost(net, "b", on: [seg], seed: 311)
        let la = EchoLayer(on: a.node, address: FLIPAddress(hex: "0a0a0a0a0a0a0a00")!)
        let lb = EchoLayer(on: b.node, address: FLIPAddress(hex: "0b0b0b0b0b0b0b00")!)
        let idA = a.sim.add(upperLayer: la)
        b.sim.add(upperLayer: lb)
        // RPC keeps working beside the layers.
        let getPort = Port(hex: "d1d2d3d4d5d6")!
        b.serve(getPort, threads: 1, owner: 1, with: echo)
        a.trans(request(to: getPort.putPort, key: 3), owner: 1)

        la.box.unicast([1, 2, 3], from: la.endpoint, to: lb.address, now: net.now)
        net.flush(a.sim)
        #expect(net.run(until: { la.received.count == 1 && a.result(1) != nil }, limit: .seconds(5)))
        #expect(lb.received.map(\.message) == [[1, 2, 3]])
        #expect(la.received.map(\.message) == [[0xEE, 1, 2, 3]])  // sent from b's tick
        #expect(try a.result(1)!.get().header.status == .ok)
        // The node told a's driver the layer had something.
        #expect(a.ready.contains(idA))
        la.collected = la.received.count
        let before = a.ready.count
        net.run(for: .milliseconds(100))
        #expect(a.ready.count == before)
        // RPC's unicast traffic never reached a layer; its locate broadcast did.
        #expect(lb.received.count == 1)
        #expect(lb.others > 0)
    }

    /// A removed layer hears nothing more and its timers stop; the next
    /// layer added takes its place.
    @Test func aRemovedLayerIsOffTheBoxAndItsPlaceReused() {
        let net = SimNetwork(seed: 32)
        let seg = net.addSegment()
        let a = NodeHost(net, "a", on: [seg], seed: 320)
        let b = NodeHost(net, "b", on: [seg], seed: 321)
        let la = EchoLayer(on: a.node, address: FLIPAddress(hex: "0c0c0c0c0c0c0c00")!)
        let lb = EchoLayer(on: b.node, address: FLIPAddress(hex: "0d0d0d0d0d0d0d00")!)
        a.sim.add(upperLayer: la)
        let idB = b.sim.add(upperLayer: lb)
        la.box.unicast([1], from: la.endpoint, to: lb.address, now: net.now)
        net.flush(a.sim)
        // b got it and owes an echo on a timer; removed before it fires.
        #expect(net.run(until: { lb.received.count == 1 }, limit: .seconds(1)))
        b.node.remove(upperLayer: idB)
        la.box.unicast([2], from: la.endpoint, to: lb.address, now: net.now)
        net.flush(a.sim)
        net.run(for: .milliseconds(100))
        #expect(lb.received.count == 1)
        #expect(la.received.isEmpty)   // the echo never left
        let lc = EchoLayer(on: b.node, address: FLIPAddress(hex: "0e0e0e0e0e0e0e00")!)
        #expect(b.sim.add(upperLayer: lc) == idB)
    }
}
