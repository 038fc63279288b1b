// A request that comes while its server's only thread is between putrep
// and its next getreq. The client's ACK ends the port's last slot, and
// the next request, right behind it, finds none: it used to be NAKed at
// once, which cost the client its 50 ms back-off on one transaction in
// a few thousand, and on most when the server ran on the client's CPU
// (a single-threaded server behind amunixd: mean latency 4x the p50).
// Now it waits for that getreq, briefly; if none comes it is NAKed then,
// and the client's resend is served once, as before.

import Testing
import AmoebaCore
import Node
import RPC
import SimNet

@Suite struct BetweenGetreqsTests {
    let getPort = Port(hex: "c1c2c3c4c5c6")!
    var putPort: Port { getPort.putPort }
    var naks: (NodeHost) -> Int { { $0.node.statistics.server.sent[Int(AmpType.nak.rawValue)] } }

    /// One transaction served and acknowledged, the server's thread not
    /// back in getreq, and the client's next request sent.
    func secondRequestBetweenGetreqs(seed: UInt64, faults: FaultProfile = .none) throws
        -> (SimNetwork, client: NodeHost, server: NodeHost) {
        let (net, client, server) = clientAndServer(seed: seed, faults: faults)
        let slot = try #require(server.getreq(getPort, owner: 1))
        client.trans(request(to: putPort, key: 1), owner: 1)
        #expect(net.run(until: { server.requests.count == 1 }, limit: .seconds(2)))
        server.putrep(slot, echo(server.requests[0].message))
        #expect(net.run(until: { client.result(1) != nil }, limit: .seconds(2)))
        client.trans(request(to: putPort, key: 2), owner: 2)
        return (net, client, server)
    }

    @Test func theRequestWaitsForTheNextGetreq() throws {
        let (net, client, server) = try secondRequestBetweenGetreqs(seed: 21)
        net.run(for: .milliseconds(3))
        #expect(server.node.statistics.slotsWaiting == 0)
        let getreqAt = net.now
        _ = try #require(server.getreq(getPort, owner: 1))
        #expect(net.run(until: { server.requests.count == 2 }, limit: .seconds(1)))
        server.putrep(server.requests[1].slot, echo(server.requests[1].message))
        #expect(net.run(until: { client.result(2) != nil }, limit: .seconds(1)))
        #expect(try client.result(2)!.get().header.status == .ok)
        #expect(client.completedAt(2)! - getreqAt < .milliseconds(20), "no back-off")
        #expect(naks(server) == 0)
        #expect(client.node.statistics.client.retransmissions == 0)
    }

    @Test func withNoGetreqItIsRefusedAfterTheGraceAndItsResendServedOnce() throws {
        let (net, client, server) = try secondRequestBetweenGetreqs(seed: 22)
        #expect(net.run(until: { naks(server) == 1 }, limit: .milliseconds(100)))
        #expect(server.requests.count == 1)
        net.run(for: .milliseconds(20))
        server.serve(getPort, threads: 1, owner: 1, with: echo)
        #expect(net.run(until: { client.result(2) != nil }, limit: .seconds(2)))
        #expect(try client.result(2)!.get().header.status == .ok)
        #expect(server.requests.count == 2, "the resend ran, once")
        #expect(server.node.statistics.server.duplicatesRefused == 0)
        #expect(server.node.statistics.server.orphansFailed == 0)
    }

    /// Every frame arrives twice: the held request's copy is known as it
    /// waits (the serving index), though the ledger has not seen it yet.
    @Test func aCopyOfAHeldRequestIsNotRunTwice() throws {
        let (net, client, server) = try secondRequestBetweenGetreqs(seed: 23, faults: FaultProfile(duplicate: 1))
        net.run(for: .milliseconds(2))
        server.serve(getPort, threads: 2, owner: 1, with: echo)
        #expect(net.run(until: { client.result(2) != nil }, limit: .seconds(2)))
        net.run(for: .milliseconds(200))
        #expect(try client.result(2)!.get().header.status == .ok)
        #expect(server.requests.count == 2)
        #expect(server.node.statistics.server.duplicatesRefused >= 1)
        #expect(naks(server) == 0)
    }
}
