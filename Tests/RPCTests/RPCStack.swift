import AmoebaCore
import FLIP
import SimNet
@testable import RPC
import TestSupport

/// A deterministic random source for kids, addresses and ports in tests.

/// An RPC node on a simulated host, with an optional server: a handler run
/// by `threads` server slots on one get-port, and an execution counter
/// keyed by the first 8 bytes of each request's data.
final class RPCStack: SimUpperLayer {
    let node: SimNode
    let rpc: RPCNode
    var results: [TransactionID: Result<RPCMessage, ErrorCode>] = [:]
    var completedAt: [TransactionID: Instant] = [:]
    /// Executions per request key: the at-most-once proof.
    var executions: [UInt64: Int] = [:]
    var handler: ((RPCMessage) -> RPCMessage)?
    /// Requests a test holds instead of answering at once.
    var held: [(ServerSlotID, RPCMessage)] = []
    var holdRequests = false
    var repliesFailed = 0
    private var getPort: Port?
    private let network: SimNetwork

    init(_ network: SimNetwork, _ node: SimNode, seed: UInt64, configuration: RPCConfiguration = .init()) {
        var g = SeededRandom(seed: seed)
        self.network = network
        self.node = node
        self.rpc = RPCNode(box: node.box, kid: FLIPAddress.random(using: &g),
                           privateAddress: FLIPAddress.random(using: &g), configuration: configuration)
        node.upper = self
    }

    /// Serves `getPort` with `threads` slots running `handler`.
    func serve(_ getPort: Port, threads: Int, handler: @escaping (RPCMessage) -> RPCMessage) {
        self.getPort = getPort
        self.handler = handler
        for _ in 0..<threads { _ = rpc.getreq(port: getPort) }
        network.flush(node)
    }

    func trans(_ request: RPCMessage) -> TransactionID {
        let id = rpc.trans(request, now: network.now)
        drain(network.now)
        network.flush(node)
        return id
    }

    /// Answers the requests held so far.
    func releaseHeld() {
        let now = network.now
        for (slot, msg) in held { rpc.putrep(slot, handler!(msg), now: now) }
        held.removeAll()
        drain(now)
        network.flush(node)
    }

    func handle(_ event: FLIPEvent, now: Instant) {
        rpc.handle(event, now: now)
        drain(now)
    }

    func tick(now: Instant) {
        rpc.tick(now: now)
        drain(now)
    }

    var nextDeadline: Instant? { rpc.nextDeadline }

    private func drain(_ now: Instant) {
        for event in rpc.takeEvents() {
            switch event {
            case .transactionCompleted(let id, let result):
                results[id] = result
                completedAt[id] = now
            case .requestArrived(let slot, let msg):
                executions[key(of: msg), default: 0] += 1
                if holdRequests {
                    held.append((slot, msg))
                } else {
                    rpc.putrep(slot, handler!(msg), now: now)
                }
            case .replyCompleted(_, let status):
                if status != .ok { repliesFailed += 1 }
                if let p = getPort { _ = rpc.getreq(port: p) }
            }
        }
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
