import AmoebaCore
import FLIP
import Node
import SimNet
@testable import RPC
import TestSupport

/// A node on a simulated host playing a client program and, optionally, a
/// server: a handler run by `threads` getreq slots on one get-port, with
/// an execution counter keyed by the first 8 bytes of each request's data.
/// Transactions are named by the tag `trans` returns.
final class RPCStack {
    let node: SimNode
    var results: [SimOwner: Result<RPCMessage, ErrorCode>] = [:]
    var completedAt: [SimOwner: Instant] = [:]
    /// Executions per request key: the at-most-once proof.
    var executions: [UInt64: Int] = [:]
    var handler: ((RPCMessage) -> RPCMessage)?
    /// Requests a test holds instead of answering at once.
    var held: [(ServerSlotID, RPCMessage)] = []
    var holdRequests = false
    private var getPort: Port?
    private var lastTag: SimOwner = 0
    private let network: SimNetwork

    init(_ network: SimNetwork, name: String, on segments: [SegmentID], seed: UInt64,
         configuration: RPCConfiguration = .init()) {
        self.network = network
        self.node = network.addNode(name: name, on: segments, rpc: configuration, seed: seed)
        // Held strongly, as the network holds the node: a test may drop its
        // handle on a stack whose node still runs.
        node.onOutput = { output in self.handle(output) }
    }

    /// The counters of the machine that runs this host's transactions.
    var clientRPC: RPCStatistics { node.node.statistics.client }
    /// The counters of the machine that serves this host's port.
    var serverRPC: RPCStatistics { node.node.statistics.server }

    /// Serves `getPort` with `threads` slots running `handler`.
    func serve(_ getPort: Port, threads: Int, handler: @escaping (RPCMessage) -> RPCMessage) {
        self.getPort = getPort
        self.handler = handler
        for _ in 0..<threads { listen() }
        network.flush(node)
    }

    func trans(_ request: RPCMessage) -> SimOwner {
        lastTag += 1
        node.node.trans(request, owner: lastTag, deadline: nil, now: network.now)
        network.flush(node)
        return lastTag
    }

    /// Answers the requests held so far.
    func releaseHeld() {
        let requests = held
        held.removeAll()
        for (slot, msg) in requests { answer(slot, msg) }
        network.flush(node)
    }

    private func handle(_ output: NodeOutput<SimOwner>) {
        switch output {
        case .transactionCompleted(let tag, let result):
            results[tag] = result
            completedAt[tag] = network.now
        case .requestArrived(_, let slot, let msg):
            executions[key(of: msg), default: 0] += 1
            if holdRequests {
                held.append((slot, msg))
            } else {
                answer(slot, msg)
            }
        case .transmit, .upperLayerReady:
            break
        }
    }

    /// The server thread replies and goes back to getreq.
    private func answer(_ slot: ServerSlotID, _ msg: RPCMessage) {
        node.node.putrep(slot, handler!(msg), now: network.now)
        listen()
    }

    private func listen() {
        if let p = getPort { _ = node.node.getreq(port: p, owner: 0) }
    }
}

func key(of message: RPCMessage) -> UInt64 {
    var k: UInt64 = 0
    for (i, b) in message.data.prefix(8).enumerated() { k |= UInt64(b) << UInt64(8 * i) }
    return k
}

func request(to putPort: Port, key k: UInt64, size: Int = 8, command: UInt16 = 1) -> RPCMessage {
    var data = [UInt8](repeating: 0, count: max(8, size))
    for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: k >> UInt64(8 * i)) }
    for i in 8..<data.count { data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ Int(k)) }
    var h = Header(port: putPort, command: command)
    h.offset = Int32(truncatingIfNeeded: k)
    return RPCMessage(header: h, data: data)
}

/// The echo service: the reply carries the request's data back, reversed,
/// so a reply cannot be mistaken for its request.
func echo(_ m: RPCMessage) -> RPCMessage {
    var h = Header()
    h.status = .ok
    h.offset = m.header.offset
    return RPCMessage(header: h, data: m.data.reversed())
}

/// Test timers short enough for long virtual runs, still Amoeba-shaped.
func quickConfiguration() -> RPCConfiguration {
    var c = RPCConfiguration()
    c.serveTimeout = .milliseconds(200)
    c.enquireInterval = .milliseconds(500)
    c.crashTimeout = .seconds(5)
    return c
}
