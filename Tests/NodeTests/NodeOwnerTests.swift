// Owners that go away. Whatever a departed owner left must not hang a
// remote client: a request it was serving is answered RPC_FAILURE at once,
// a request that reaches a slot nobody owns any more likewise, and results
// of its own transactions go nowhere.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet

@Suite struct NodeOwnerTests {
    let getPort = Port(hex: "b1b2b3b4b5b6")!
    var putPort: Port { getPort.putPort }

    @Test func abandoningMidRequestAnswersTheRemoteClientAtOnce() throws {
        // Default timers: a silent server would cost the client 20 s.
        let (net, client, server) = clientAndServer(seed: 11)
        server.getreq(getPort, owner: 5)
        server.getreq(getPort, owner: 6)
        client.trans(request(to: putPort, key: 1), owner: 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        net.run(for: .seconds(3))  // the client is well into waiting
        #expect(client.result(1) == nil)
        let abandonedAt = net.now
        server.abandon(server.requests[0].owner)
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(30)))
        let reply = try client.result(1)!.get()
        #expect(reply.header.status == .rpcFailure)
        #expect(client.completedAt(1)! - abandonedAt < .milliseconds(100))
        // The other owner's slot still waits; the departed one's is gone.
        let s = server.node.statistics
        #expect(s.slotsWaiting == 1 && s.requestsBeingServed == 0)
        net.run(for: .seconds(1))
        #expect(server.node.statistics.repliesInFlight == 0)
    }

    @Test func abandoningWithdrawsWaitingSlotsAndDropsResults() throws {
        let (net, client, server) = clientAndServer(seed: 12)
        server.getreq(getPort, owner: 8)
        server.abandon(8)
        #expect(server.node.statistics.slotsWaiting == 0)
        #expect(server.node.statistics.serverStates == 0)
        // Owner 1 starts a call and leaves; owner 2's call is untouched.
        server.serve(getPort, threads: 1, owner: 9, with: echo)
        client.trans(request(to: putPort, key: 1), owner: 1)
        client.trans(request(to: putPort, key: 2), owner: 2)
        client.abandon(1)
        #expect(client.node.statistics.transactionsInFlight == 1)
        #expect(net.run(until: { client.result(2) != nil }, limit: .seconds(5)))
        net.run(for: .seconds(2))
        #expect(client.result(1) == nil)       // its result had nobody to go to
        #expect(server.requests.count == 2)    // but it ran to its end in RPC
        #expect(client.node.statistics.clientStates == 0)
    }

    /// A server with one thread (owner 1) busy with a's request, and b's
    /// request queued in the RPC layer behind it.
    func busyServer(seed: UInt64) throws -> (SimNetwork, a: NodeHost, b: NodeHost, server: NodeHost, slot: ServerSlotID) {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment()
        let a = NodeHost(net, "a", on: [seg], seed: seed &* 10)
        let b = NodeHost(net, "b", on: [seg], seed: seed &* 10 &+ 1)
        let server = NodeHost(net, "server", on: [seg], seed: seed &* 10 &+ 2)
        let slot = try #require(server.getreq(getPort, owner: 1))
        a.trans(request(to: putPort, key: 1), owner: 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        b.trans(request(to: putPort, key: 2), owner: 2)
        net.run(for: .milliseconds(500))
        #expect(server.requests.count == 1)
        return (net, a, b, server, slot)
    }

    @Test func aRequestForAWithdrawnSlotIsRefusedNotDropped() throws {
        let (net, a, b, server, _) = try busyServer(seed: 13)
        // A new getreq takes b's request at once, and is withdrawn before
        // the node is drained: the request is already the slot's and must
        // be answered.
        let slot = server.node.getreq(port: getPort, owner: 2)
        #expect(slot != nil)
        #expect(server.node.cancelGetreqs(where: { $0 == 2 }) == [2])
        net.flush(server.sim)
        #expect(server.requests.count == 1)  // owner 2 never sees it
        #expect(net.run(until: { b.result(2) != nil }, limit: .seconds(2)))
        #expect(try b.result(2)!.get().header.status == .rpcFailure)
        #expect(a.result(1) == nil)
    }

    /// Found by the node fuzzer: a request queued for a busy port used to
    /// wait forever once the port's last server left, its client told by
    /// every ENQUIRE that the server lived.
    @Test func requestsQueuedForAServerThatLeavesFailPromptly() throws {
        let (net, a, b, server, _) = try busyServer(seed: 14)
        net.run(for: .seconds(3))  // b is kept waiting, told the server lives
        #expect(b.result(2) == nil)
        let leftAt = net.now
        server.abandon(1)
        #expect(net.run(until: { a.result(1) != nil && b.result(2) != nil }, limit: .seconds(60)))
        #expect(try a.result(1)!.get().header.status == .rpcFailure)
        guard case .failure(.rpcFailure) = b.result(2)! else {
            Issue.record("expected RPC_FAILURE, got \(b.result(2)!)")
            return
        }
        // The grace for a new getreq (serveTimeout, 1 s), not a crash timeout.
        #expect(b.completedAt(2)! - leftAt < .seconds(2))
        #expect(server.node.statistics.server.orphansFailed == 1)
        #expect(server.requests.count == 1)  // it never ran
    }

    @Test func aGetreqWithinTheGraceTakesTheQueuedRequest() throws {
        let (net, _, b, server, slot) = try busyServer(seed: 15)
        // The thread answers, its reply is acknowledged (the port has no
        // slot for a moment), and it comes back to getreq a little later.
        server.putrep(slot, echo(server.requests[0].message))
        net.run(for: .milliseconds(300))
        server.getreq(getPort, owner: 1)
        #expect(server.requests.count == 2)
        server.putrep(server.requests[1].slot, echo(server.requests[1].message))
        #expect(net.run(until: { b.result(2) != nil }, limit: .seconds(5)))
        #expect(try b.result(2)!.get().header.status == .ok)
        #expect(server.node.statistics.server.orphansFailed == 0)
    }

    /// A port served on two hosts (a replicated service): when its server
    /// on one host goes away while that host lives on (and NAKs requests
    /// for the port), a client that had found that host is served by the
    /// other without an error, and stops calling the first.
    @Test func aServerGoneFromALiveHostIsLocatedElsewhere() throws {
        let net = SimNetwork(seed: 16)
        let seg = net.addSegment()
        let client = NodeHost(net, "client", on: [seg], seed: 161)
        let s1 = NodeHost(net, "s1", on: [seg], seed: 162)
        let s2 = NodeHost(net, "s2", on: [seg], seed: 163)
        // s2 starts serving after the client found s1, so that the
        // client's cache points at s1 (a later HEREIS would replace it).
        s1.serve(getPort, threads: 2, owner: 1, with: echo)
        client.trans(request(to: putPort, key: 1), owner: 1)
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(5)))
        #expect(try client.result(1)!.get().header.status == .ok)
        s2.serve(getPort, threads: 2, owner: 1, with: echo)
        let (first, other) = (s1, s2)
        first.abandon(1)
        net.run(for: .milliseconds(100))
        let calls: [(SimOwner, UInt64)] = [(2, 2), (3, 3), (4, 4)]
        for (owner, k) in calls {
            client.trans(request(to: putPort, key: k), owner: owner)
            #expect(net.run(until: { client.result(owner) != nil }, limit: .seconds(5)))
            #expect(try client.result(owner)!.get().header.status == .ok)
        }
        #expect(other.requests.count == 3)
        #expect(first.requests.count == 1)
        // The first host did refuse (no thread there): the case at hand.
        #expect(first.node.statistics.server.sent[Int(AmpType.nak.rawValue)] >= 1)
    }
}
