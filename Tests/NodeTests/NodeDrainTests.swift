// drainOutputs, the way a driver takes a node's outputs without copying
// them: it must hand over exactly what takeOutputs would, in the same
// order, and what the handler's own calls cause must wait for the next
// drain, as it does after takeOutputs.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

@Suite struct NodeDrainTests {
    /// Two nodes wired back to back, their identities drawn from `seed`.
    struct Pair {
        let client: Node<Int>
        let server: Node<Int>
        let getPort: Port
        init(seed: UInt64) {
            var g = SimRandom(seed: seed)
            client = Node(using: &g)
            server = Node(using: &g)
            client.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
            server.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
            getPort = Port(hex: "b1b2b3b4b5b6")!
            for owner in 0..<2 { _ = server.getreq(port: getPort, owner: owner) }
        }
    }

    /// What an output says, as text to compare.
    static func describe(_ o: borrowing NodeOutput<Int>) -> String {
        switch o {
        case .transmit(let i, let frame): return "transmit \(i.rawValue) \(frame)"
        case .transactionCompleted(let owner, let result):
            switch result {
            case .success(let m): return "completed \(owner) \(m.header.status.name) \(m.data)"
            case .failure(let code): return "completed \(owner) \(code.name)"
            }
        case .requestArrived(let owner, let slot, let m): return "request \(owner) \(slot.rawValue) \(m.data)"
        case .upperLayerReady(let id): return "layer \(id.rawValue)"
        }
    }

    /// Runs two transactions between the pair, draining each node either
    /// way, and returns everything both nodes said, in order. `nested`:
    /// the handler given the first reply's acknowledgement (handed before
    /// the first transaction's end, in the same batch) starts the second
    /// and drains the client itself, as a SimNet driver's `flush` does.
    static func transcript(drain: Bool, nested: Bool = false) -> [String] {
        let p = Pair(seed: 11)
        var said: [String] = []
        var now = Instant.zero
        func take(_ node: Node<Int>, _ act: (NodeOutput<Int>) -> Void) {
            if drain {
                node.drainOutputs { (o: consuming NodeOutput<Int>) in act(o) }
            } else {
                for o in node.takeOutputs() { act(o) }
            }
        }
        func request(_ t: Int) -> RPCMessage {
            RPCMessage(header: Header(port: p.getPort.putPort, command: 7), data: [UInt8(t), 1, 2])
        }
        // The server's frames so far: its second is the first reply.
        var serverFrames = 0
        var nestedDone = false
        func fromClient(_ o: NodeOutput<Int>) {
            said.append("c " + describe(o))
            switch o {
            case .transmit(_, let f):
                p.server.receive(frame: f, on: InterfaceID(rawValue: 0), now: now)
                if nested && serverFrames == 2 && !nestedDone {
                    nestedDone = true
                    p.client.trans(request(1), owner: 101, deadline: nil, now: now)
                    said.append("nested")
                    take(p.client) { said.append("nested c " + describe($0)) }
                }
            default:
                break
            }
        }
        for t in 0..<(nested ? 1 : 2) {
            p.client.trans(request(t), owner: 100 + t, deadline: nil, now: now)
            for _ in 0..<50 {
                now = now + .microseconds(10)
                var moved = false
                take(p.client) { o in
                    moved = true
                    fromClient(o)
                }
                take(p.server) { o in
                    moved = true
                    said.append("s " + describe(o))
                    switch o {
                    case .transmit(_, let f):
                        serverFrames += 1
                        p.client.receive(frame: f, on: InterfaceID(rawValue: 0), now: now)
                    case .requestArrived(let owner, let slot, let m):
                        p.server.putrep(slot, RPCMessage(header: Header(), data: m.data.reversed()), now: now)
                        _ = p.server.getreq(port: p.getPort, owner: owner)
                    default:
                        break
                    }
                }
                if !moved, let d = earliest(p.client.nextDeadline, p.server.nextDeadline) {
                    // Quiet: the protocol timers (LOCATE rounds, the
                    // reply's acknowledgement) run.
                    now = max(now, d)
                    said.append("tick")
                    p.client.tick(now: now)
                    p.server.tick(now: now)
                }
            }
        }
        return said
    }

    @Test func drainingHandsOverWhatTakingWould() {
        let taken = Self.transcript(drain: false)
        let drained = Self.transcript(drain: true)
        #expect(taken.contains { $0.hasPrefix("c completed 100 STD_OK") })
        #expect(taken.contains { $0.hasPrefix("c completed 101 STD_OK") })
        #expect(drained == taken)
    }

    @Test func aHandlerThatDrainsTheNodeIsHandedOnlyWhatCameAfter() throws {
        let taken = Self.transcript(drain: false, nested: true)
        let drained = Self.transcript(drain: true, nested: true)
        // The second request goes out inside the handler given the first
        // reply's acknowledgement; the first transaction's end, already in
        // that batch, is handed by the outer drain after it, not by the
        // handler's.
        let i = try #require(taken.firstIndex(of: "nested"))
        #expect(taken[i - 1].hasPrefix("c transmit"))
        #expect(taken[i + 1].hasPrefix("nested c transmit"))
        #expect(taken[i + 2].hasPrefix("c completed 100 STD_OK"))
        #expect(!taken.contains { $0.hasPrefix("nested c completed") })
        #expect(taken.contains { $0.hasPrefix("c completed 101 STD_OK") })
        #expect(drained == taken)
    }

    @Test func whatTheHandlerCausesWaitsForTheNextDrain() {
        let p = Pair(seed: 12)
        var now = Instant.zero
        let request = RPCMessage(header: Header(port: p.getPort.putPort, command: 7), data: [9])
        p.client.trans(request, owner: 1, deadline: nil, now: now)
        now = p.client.nextDeadline!
        p.client.tick(now: now)
        /// Drains `from`, passing its frames to `to` and answering the
        /// requests it hands; what kinds of output it handed.
        func relay(_ from: Node<Int>, to: Node<Int>) -> [String] {
            var kinds: [String] = []
            let n = from.drainOutputs { (o: consuming NodeOutput<Int>) in
                switch o {
                case .transmit(_, let f):
                    kinds.append("transmit")
                    to.receive(frame: f, on: InterfaceID(rawValue: 0), now: now)
                case .requestArrived(_, let slot, _):
                    kinds.append("request")
                    from.putrep(slot, RPCMessage(header: Header()), now: now)
                case .transactionCompleted:
                    kinds.append("completed")
                case .upperLayerReady:
                    kinds.append("layer")
                }
            }
            #expect(n == kinds.count)
            return kinds
        }
        #expect(relay(p.client, to: p.server) == ["transmit"])   // LOCATE
        #expect(relay(p.server, to: p.client) == ["transmit"])   // HEREIS
        #expect(relay(p.client, to: p.server) == ["transmit"])   // the request
        // The reply's frame is not handed in the drain whose handler
        // answered the request...
        #expect(relay(p.server, to: p.client) == ["request"])
        // ...but in the next one.
        #expect(relay(p.server, to: p.client) == ["transmit"])
        #expect(relay(p.server, to: p.client) == [])
        // The reply reaches the client's machine as it arrives, so its
        // acknowledgement is queued before the transaction's end is.
        #expect(relay(p.client, to: p.server) == ["transmit", "completed"])
    }
}
