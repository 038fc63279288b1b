// earliestNewDeadline (Node+Deadlines.swift): it finds what a part that
// changed since the last ask brought, and does not ask a part nothing
// changed, which is the point of it.

import Testing
import AmoebaCore
import FLIP
@testable import Node
import RPC
import SimNet

@Suite struct NodeDeadlineTests {
    let getPort = Port(hex: "b1b2b3b4b5b6")!
    var putPort: Port { getPort.putPort }

    /// A client whose transaction the server holds unanswered, both settled.
    private func heldRequest(seed: UInt64) throws -> (SimNetwork, NodeHost, NodeHost, ServerSlotID) {
        let (net, client, server) = clientAndServer(seed: seed)
        let slot = try #require(server.getreq(getPort, owner: 70))
        client.trans(request(to: putPort, key: 3), owner: 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        return (net, client, server, slot)
    }

    @Test func aReplysRetransmissionIsFoundAsNew() throws {
        let (net, _, server, slot) = try heldRequest(seed: 31)
        let node = server.node
        _ = node.nextDeadline
        node.putrep(slot, echo(server.requests[0].message), now: net.now)
        let new = node.earliestNewDeadline()
        #expect(new != nil)
        #expect(new == node.nextDeadline)
    }

    @Test func aMachineNothingChangedIsNotAskedAgain() throws {
        let (net, client, _, _) = try heldRequest(seed: 32)
        let node = client.node
        // The client machine waits for the reply with a timer running.
        let waiting = try #require(node.nextDeadline)
        // A getreq changes the server machine only: the client's timer is
        // not asked for again (the driver's wake-up is no later than it).
        _ = node.getreq(port: Port(hex: "c1c2c3c4c5c6")!, owner: 9)
        #expect(node.earliestNewDeadline() == nil)
        #expect(node.earliestNewDeadline() == nil)
        // Asked in full, it is still there.
        #expect(node.nextDeadline == waiting)
        // A new transaction changes the client machine: asked again.
        node.trans(request(to: putPort, key: 4), owner: 2, deadline: nil, now: net.now)
        let new = try #require(node.earliestNewDeadline())
        #expect(new <= waiting)
    }

    @Test func aTickChangesEveryMachine() throws {
        let (net, client, _, _) = try heldRequest(seed: 33)
        let node = client.node
        let waiting = try #require(node.nextDeadline)
        #expect(node.earliestNewDeadline() == nil)
        node.tick(now: net.now)
        #expect(node.earliestNewDeadline() == waiting)
    }

    @Test func anEventForAMachineChangesIt() throws {
        // Two nodes wired by hand (no simulator asking in between): the
        // server's last ask is before the request's frames reach it; the
        // request is an event for its server machine, which must be asked.
        let p = NodeDrainTests.Pair(seed: 35)
        var now = Instant.zero
        var toServer: [[UInt8]] = [], toClient: [[UInt8]] = []
        var arrived: ServerSlotID? = nil
        // Frames both ways until quiet; the client's timers (its LOCATE
        // rounds) run when nothing moves. The server is never ticked.
        func shuttle() {
            for _ in 0..<50 {
                now = now + .microseconds(10)
                p.client.drainOutputs { (o: consuming NodeOutput<Int>) in
                    if case .transmit(_, let f) = o { toServer.append(f) }
                }
                let moved = !toServer.isEmpty
                for f in toServer { p.server.receive(frame: f, on: InterfaceID(rawValue: 0), now: now) }
                toServer = []
                p.server.drainOutputs { (o: consuming NodeOutput<Int>) in
                    switch o {
                    case .transmit(_, let f): toClient.append(f)
                    case .requestArrived(_, let slot, _): arrived = slot
                    default: break
                    }
                }
                let answered = !toClient.isEmpty
                for f in toClient { p.client.receive(frame: f, on: InterfaceID(rawValue: 0), now: now) }
                toClient = []
                if !moved && !answered && arrived == nil, let d = p.client.nextDeadline {
                    now = max(now, d)
                    p.client.tick(now: now)
                }
            }
        }
        p.client.trans(RPCMessage(header: Header(port: p.getPort.putPort, command: 7)), owner: 1, deadline: nil, now: now)
        shuttle()
        let slot = try #require(arrived)
        // The server answers; its reply's retransmission is a deadline of
        // its server machine. Asked in full, then the reply reaches the
        // client, whose acknowledgement (an event) ends it.
        p.server.putrep(slot, RPCMessage(header: Header()), now: now)
        #expect(p.server.earliestNewDeadline() != nil)
        shuttle()
        #expect(p.server.earliestNewDeadline() == p.server.nextDeadline)
        // A second request: the frames that bring it are events for the
        // server machine only, and mark it (and nothing else) changed.
        _ = p.server.nextDeadline
        #expect(!p.server.serverChanged && !p.server.clientChanged)
        arrived = nil
        p.client.trans(RPCMessage(header: Header(port: p.getPort.putPort, command: 7)), owner: 2, deadline: nil, now: now)
        shuttle()
        #expect(p.server.serverChanged && !p.server.clientChanged)
        let second = try #require(arrived)
        p.server.putrep(second, RPCMessage(header: Header()), now: now)
        let replying = try #require(p.server.earliestNewDeadline())
        #expect(replying == p.server.nextDeadline)
    }
}
