// The NodeTests' stand-in for the programs on a simulated host: it starts
// transactions and opens slots on the host's Node under integer owners,
// and records every result and request the node hands back, with the
// virtual time it came, so a test can say what happened and when.

import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

final class NodeHost {
    let sim: SimNode
    let net: SimNetwork
    var node: Node<SimOwner> { sim.node }
    /// Every completion per owner, in order: more than one is a bug.
    var completions: [SimOwner: [(result: Result<RPCMessage, ErrorCode>, at: Instant)]] = [:]
    /// Every request handed to an owner.
    var requests: [(owner: SimOwner, slot: ServerSlotID, message: RPCMessage, at: Instant)] = []
    /// Upper layers the node said have something.
    var ready: [NodeUpperLayerID] = []
    /// Answers each request at once, then opens the next slot under the
    /// same owner; nil holds requests for the test to answer.
    var server: ((RPCMessage) -> RPCMessage)?

    init(_ net: SimNetwork, _ name: String, on segments: [SegmentID], seed: UInt64,
         configuration: RPCConfiguration = .init()) {
        self.net = net
        sim = net.addNode(name: name, on: segments, rpc: configuration, seed: seed)
        // Held strongly: the network outlives a test's handle on the host.
        sim.onOutput = { output in self.record(output) }
    }

    func trans(_ request: RPCMessage, owner: SimOwner, deadline: Interval? = nil) {
        node.trans(request, owner: owner, deadline: deadline.map { net.now + $0 }, now: net.now)
        net.flush(sim)
    }

    @discardableResult
    func getreq(_ getPort: Port, owner: SimOwner) -> ServerSlotID? {
        let slot = node.getreq(port: getPort, owner: owner)
        net.flush(sim)
        return slot
    }

    func putrep(_ slot: ServerSlotID, _ reply: RPCMessage) {
        node.putrep(slot, reply, now: net.now)
        net.flush(sim)
    }

    func abandon(_ owner: SimOwner) {
        node.abandon(where: { $0 == owner }, now: net.now)
        net.flush(sim)
    }

    /// The first result `owner` got, if any.
    func result(_ owner: SimOwner) -> Result<RPCMessage, ErrorCode>? { completions[owner]?.first?.result }
    func completedAt(_ owner: SimOwner) -> Instant? { completions[owner]?.first?.at }

    private func record(_ output: NodeOutput<SimOwner>) {
        switch output {
        case .transactionCompleted(let owner, let result):
            completions[owner, default: []].append((result, net.now))
        case .requestArrived(let owner, let slot, let message):
            requests.append((owner, slot, message, net.now))
            if let server, let port = servedPort {
                node.putrep(slot, server(message), now: net.now)
                _ = node.getreq(port: port, owner: owner)
            }
        case .upperLayerReady(let layer):
            ready.append(layer)
        case .transmit:
            break
        }
    }

    /// The port `serve` listens on.
    private var servedPort: Port?

    /// Serves `getPort` with `threads` slots under `owner`, answering at once.
    func serve(_ getPort: Port, threads: Int, owner: SimOwner, with handler: @escaping (RPCMessage) -> RPCMessage) {
        server = handler
        servedPort = getPort
        for _ in 0..<threads { _ = node.getreq(port: getPort, owner: owner) }
        net.flush(sim)
    }
}

/// A client host and a server host on one segment.
func clientAndServer(seed: UInt64, faults: FaultProfile = .none, configuration: RPCConfiguration = .init())
    -> (SimNetwork, NodeHost, NodeHost) {
    let net = SimNetwork(seed: seed)
    let seg = net.addSegment(faults: faults)
    let client = NodeHost(net, "client", on: [seg], seed: seed &+ 1, configuration: configuration)
    let server = NodeHost(net, "server", on: [seg], seed: seed &+ 2, configuration: configuration)
    return (net, client, server)
}

/// A request whose data starts with `key` (little-endian), so the server
/// can count executions per request.
func request(to putPort: Port, key: UInt64, size: Int = 16) -> RPCMessage {
    var data = [UInt8](repeating: 0, count: max(8, size))
    for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: key >> UInt64(8 * i)) }
    var h = Header(port: putPort, command: 1)
    h.offset = Int32(truncatingIfNeeded: key)
    return RPCMessage(header: h, data: data)
}

func key(of m: RPCMessage) -> UInt64 {
    var k: UInt64 = 0
    for (i, b) in m.data.prefix(8).enumerated() { k |= UInt64(b) << UInt64(8 * i) }
    return k
}

/// The reply carries the request's data reversed and its offset back.
func echo(_ m: RPCMessage) -> RPCMessage {
    var h = Header()
    h.status = .ok
    h.offset = m.header.offset
    return RPCMessage(header: h, data: m.data.reversed())
}
