// trans, getreq and putrep through Node bodies on the simulated network:
// the plain case, a program calling a server on its own node, deadlines,
// a port nobody serves, and a full server table.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

@Suite struct NodeCallTests {
    let getPort = Port(hex: "a1a2a3a4a5a6")!
    var putPort: Port { getPort.putPort }

    @Test func transGetreqPutrepThroughTwoNodes() throws {
        let (net, client, server) = clientAndServer(seed: 1)
        let slot = try #require(server.getreq(getPort, owner: 70))
        #expect(server.node.statistics.slotsWaiting == 1)
        let req = request(to: putPort, key: 5, size: 100)
        client.trans(req, owner: 1)
        #expect(client.node.statistics.transactionsInFlight == 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        let arrived = server.requests[0]
        #expect(arrived.owner == 70)
        #expect(arrived.slot == slot)
        #expect(arrived.message.data == req.data)
        #expect(server.node.statistics.slotsWaiting == 0)
        #expect(server.node.statistics.requestsBeingServed == 1)
        server.putrep(slot, echo(arrived.message))
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(2)))
        let reply = try client.result(1)!.get()
        #expect(reply.header.status == .ok)
        #expect(reply.data == req.data.reversed())
        // The client's ACK ends the putrep; nothing is left anywhere.
        net.run(for: .seconds(1))
        let s = server.node.statistics
        #expect(s.requestsBeingServed == 0 && s.repliesInFlight == 0 && s.serverStates == 0)
        #expect(s.server.received[Int(AmpType.ack.rawValue)] == 1)
        #expect(client.node.statistics.transactionsInFlight == 0)
        #expect(client.node.statistics.clientStates == 0)
        #expect(client.completions[1]!.count == 1)
        // A second putrep on the answered slot is ignored.
        server.putrep(slot, echo(arrived.message))
        #expect(server.node.statistics.repliesInFlight == 0)
    }

    /// The machine counts a putrep's end itself (no event): a reply whose
    /// client died is in flight until the crash timeout, then counted
    /// unacknowledged; one acknowledged is counted as neither.
    @Test func aReplyNobodyAcknowledgesIsCountedWhenItsPutrepEnds() throws {
        let (net, client, server) = clientAndServer(seed: 3)
        let slot = try #require(server.getreq(getPort, owner: 70))
        client.trans(request(to: putPort, key: 6), owner: 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        net.kill(client.sim)
        server.putrep(slot, echo(server.requests[0].message))
        #expect(server.node.statistics.repliesInFlight == 1)
        net.run(for: .seconds(1))
        #expect(server.node.statistics.repliesInFlight == 1, "still probing the client")
        #expect(server.node.statistics.repliesUnacknowledged == 0)
        #expect(net.run(until: { server.node.statistics.repliesInFlight == 0 }, limit: .seconds(120)))
        #expect(server.node.statistics.repliesUnacknowledged == 1)
        #expect(server.node.statistics.serverStates == 0)
    }

    @Test func aProgramCallsAServerOnItsOwnNode() throws {
        let net = SimNetwork(seed: 2)
        let host = NodeHost(net, "host", on: [net.addSegment()], seed: 20)
        host.serve(getPort, threads: 1, owner: 9, with: echo)
        let req = request(to: putPort, key: 77)
        host.trans(req, owner: 1)
        #expect(net.run(until: { host.result(1) != nil }, limit: .seconds(2)))
        #expect(try host.result(1)!.get().data == req.data.reversed())
        #expect(host.requests.map(\.owner) == [9])
        #expect(host.node.address != host.node.serverAddress)
    }

    @Test func aTransWithADeadlineFailsAtTheDeadline() throws {
        let (net, client, server) = clientAndServer(seed: 3)
        let slot = try #require(server.getreq(getPort, owner: 70))
        let start = net.now
        client.trans(request(to: putPort, key: 1), owner: 1, deadline: .milliseconds(300))
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(5)))
        #expect(client.completions[1]!.count == 1)
        guard case .failure(.rpcFailure) = client.result(1)! else {
            Issue.record("expected RPC_FAILURE, got \(client.result(1)!)")
            return
        }
        #expect(client.completedAt(1)! == start + .milliseconds(300))
        #expect(server.requests.count == 1)  // it got there; the answer was late
        // The late answer finds nobody waiting and is dropped, not reported.
        server.putrep(slot, echo(server.requests[0].message))
        net.run(for: .seconds(2))
        #expect(client.completions[1]!.count == 1)
        #expect(client.node.statistics.clientStates == 0)
    }

    @Test func aReplyInTimeIsNotFailedByItsDeadline() throws {
        let (net, client, server) = clientAndServer(seed: 4)
        server.serve(getPort, threads: 1, owner: 70, with: echo)
        client.trans(request(to: putPort, key: 2), owner: 1, deadline: .seconds(2))
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(5)))
        #expect((try? client.result(1)!.get()) != nil)
        net.run(for: .seconds(3))
        #expect(client.completions[1]!.count == 1)
        #expect(client.node.nextDeadline == nil || client.node.statistics.transactionsInFlight == 0)
    }

    @Test func aTransToAPortNobodyServesFailsWhenTheLocateGivesUp() {
        let net = SimNetwork(seed: 5)
        let client = NodeHost(net, "client", on: [net.addSegment()], seed: 50)
        client.trans(request(to: Port(hex: "0000000000bb")!, key: 1), owner: 1)
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(30)))
        guard case .failure(.rpcNotFound)? = client.result(1) else {
            Issue.record("expected RPC_NOTFOUND, got \(String(describing: client.result(1)))")
            return
        }
        let took = client.completedAt(1)! - .zero
        #expect(took >= .seconds(5) && took < .seconds(6))
    }

    @Test func getreqOnAFullTableReturnsNil() {
        var config = RPCConfiguration()
        config.maxStates = 3
        let net = SimNetwork(seed: 6)
        let host = NodeHost(net, "server", on: [net.addSegment()], seed: 60, configuration: config)
        let slots = (1...3).map { host.getreq(getPort, owner: $0) }
        #expect(slots.allSatisfy { $0 != nil })
        #expect(host.getreq(getPort, owner: 4) == nil)
        #expect(host.node.statistics.slotsWaiting == 3)
        // Withdrawing one makes room again.
        #expect(host.node.cancelGetreqs(where: { $0 == 2 }) == [2])
        #expect(host.node.statistics.slotsWaiting == 2)
        #expect(host.getreq(getPort, owner: 5) != nil)
        #expect(host.getreq(getPort, owner: 6) == nil)
    }
}
