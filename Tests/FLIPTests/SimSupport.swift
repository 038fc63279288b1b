// Helpers for the simulated-network tests: an upper layer that records
// what the box hands up, frame inspection, and a wire between two boxes.

import AmoebaCore
@testable import FLIP
import Node
import SimNet
import TestSupport

final class Recorder: NodeUpperLayer {
    var deliveries: [FLIPDelivery] = []
    var failures: [(endpoint: EndpointID, destination: FLIPAddress, messageID: UInt32,
                    reason: FLIPUndeliverableReason, at: Instant)] = []

    func handle(_ event: FLIPEvent, now: Instant) {
        switch event {
        case .deliver(let d): deliveries.append(d)
        case .undeliverable(let e, let d, let id, let r): failures.append((e, d, id, r, now))
        case .transmit: break
        }
    }

    func tick(now: Instant) {}
    var nextDeadline: Instant? { nil }
}

/// A node with one registered endpoint and a recorder on top.
struct Host {
    let node: SimNode
    let endpoint: EndpointID
    let address: FLIPAddress
    let recorder: Recorder

    init(_ net: SimNetwork, _ name: String, on segments: [SegmentID], seed: UInt64,
         configuration: FLIPConfiguration = .init()) {
        node = net.addNode(name: name, on: segments, configuration: configuration)
        var g = SeededRandom(seed: seed)
        endpoint = node.box.register(privateAddress: FLIPAddress.random(using: &g))
        address = node.box.address(of: endpoint)!
        recorder = Recorder()
        node.add(upperLayer: recorder)
    }

    func send(_ net: SimNetwork, _ message: [UInt8], to: FLIPAddress) -> UInt32 {
        let id = node.box.unicast(message, from: endpoint, to: to, now: net.now)
        net.flush(node)
        return id
    }
}

/// Decodes a frame as sent (tests only look at well-formed ones).
func flipFrame(_ bytes: [UInt8]) -> EthernetFrame? { try? EthernetFrame.decode(bytes) }

func pattern(_ n: Int, seed: UInt8 = 1) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: n)
    var x = UInt32(seed) &* 2_654_435_761
    for i in 0..<n {
        x = x &* 1_103_515_245 &+ 12345
        out[i] = UInt8(truncatingIfNeeded: x >> 16)
    }
    return out
}

/// Runs a wire between boxes `a` and `b` (each on its interface 0) until
/// it is quiet: every frame `a` sent, in order, and every message `b`
/// delivered. With `recycle`, each frame is handed back to its sender once
/// the other box has read it.
func runWire(_ a: FLIPBox, _ b: FLIPBox, now start: Instant,
             recycle: Bool = false) -> (sent: [[UInt8]], delivered: [[UInt8]], now: Instant) {
    let ia = InterfaceID(rawValue: 0)
    var now = start, sent: [[UInt8]] = [], delivered: [[UInt8]] = []
    for _ in 0..<200 {
        now = now + .microseconds(100)
        var moved = false
        for e in a.takeEvents() {
            guard case .transmit(_, let f) = e else { continue }
            sent.append(f)
            moved = true
            b.receive(frame: f, on: ia, now: now)
            if recycle { a.recycle(frame: f) }
        }
        for e in b.takeEvents() {
            moved = true
            switch e {
            case .transmit(_, let f):
                a.receive(frame: f, on: ia, now: now)
                if recycle { b.recycle(frame: f) }
            case .deliver(let d): delivered.append(d.message)
            case .undeliverable: break
            }
        }
        if !moved { a.tick(now: now); b.tick(now: now) }
    }
    return (sent, delivered, now)
}
