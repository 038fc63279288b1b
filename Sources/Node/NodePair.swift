// Two node bodies back to back in memory, joined by a perfect wire: what
// `rpc_bench core` times on Linux and the kernel's `nodecore` scenario
// counts in guest instructions. Both must drive the nodes exactly alike,
// or their figures stop being comparable, so the driving is written once
// here rather than in each.
//
// It drives the nodes as the kernel's network thread and a program's own
// endpoint do: every output moved out and consumed (`drainOutputs`), every
// frame handed back once the wire has it (`recycle`). The clock moves a
// microsecond per step, so no protocol timer fires while frames move.

import AmoebaCore
import FLIP
import RPC

public struct NodePair {
    public let client: Node<Int>
    public let server: Node<Int>
    /// What the client addresses: F(the server's get-port).
    public let putPort: Port
    private let getPort: Port
    /// Frames that crossed the wire, both ways.
    public private(set) var frames = 0
    /// Requests the server was handed (each answered at once, header only).
    public private(set) var executions = 0
    private var now = Instant.zero

    /// A client node and a server node listening on a fresh random port
    /// with `slots` getreqs, both configured as `configuration` (the
    /// host's: a Linux host grants its neighbours a wider credit window
    /// than a kernel node), their identities drawn from `random`.
    public init(configuration: NodeConfiguration = .init(), slots: Int = 4,
                using random: inout some RandomNumberGenerator) {
        client = Node(configuration: configuration, using: &random)
        server = Node(configuration: configuration, using: &random)
        client.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        server.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        getPort = Port.random(using: &random)
        putPort = getPort.putPort
        for _ in 0..<slots { _ = server.getreq(port: getPort, owner: 0) }
    }

    /// One transaction, start to finish: nil when it succeeded, else the
    /// error that ended it (RPC_FAILURE when it did not finish within
    /// `steps` steps of the clock). The reply itself is dropped: handing
    /// it out would be the harness's cost, not the nodes'.
    public mutating func transact(_ request: RPCMessage, steps: Int = 100_000) -> ErrorCode? {
        client.trans(request, owner: 1, deadline: nil, now: now)
        let wire = InterfaceID(rawValue: 0)
        for _ in 0..<steps {
            now = now + .microseconds(1)
            var moved = false
            var done = false
            var failure: ErrorCode?
            client.drainOutputs { (o: consuming NodeOutput<Int>) in
                moved = true
                switch consume o {
                case .transmit(_, let frame):
                    frames += 1
                    server.receive(frame: frame, on: wire, now: now)
                    // Read: its storage may carry the client's next fragment.
                    client.recycle(frame: frame)
                case .transactionCompleted(_, let r):
                    done = true
                    if case .failure(let code) = r { failure = code }
                case .requestArrived, .upperLayerReady:
                    break
                }
            }
            // Done once the frames that came out with the result (the
            // reply's acknowledgement) are on the wire too.
            if done { return failure }
            server.drainOutputs { (o: consuming NodeOutput<Int>) in
                moved = true
                switch consume o {
                case .transmit(_, let frame):
                    frames += 1
                    client.receive(frame: frame, on: wire, now: now)
                    server.recycle(frame: frame)
                case .requestArrived(_, let slot, _):
                    executions += 1
                    var h = Header()
                    h.status = .ok
                    server.putrep(slot, RPCMessage(header: h), now: now)
                    _ = server.getreq(port: getPort, owner: 0)
                case .transactionCompleted, .upperLayerReady:
                    break
                }
            }
            if !moved {
                // Quiet: let the protocol timers (the reply's acknowledgement) run.
                if let d = earliest(client.nextDeadline, server.nextDeadline) { now = max(now, d) }
                client.tick(now: now)
                server.tick(now: now)
            }
        }
        return .rpcFailure
    }
}
