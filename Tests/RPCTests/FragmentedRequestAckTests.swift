import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

/// Amoeba's server acknowledges a request that came in several frames as
/// soon as it is reassembled; one that fit in a frame is acknowledged by
/// its reply. Without the early ACK a client whose large request the
/// server is still working on must wait out its serve timer and ask
/// RECEIVED before it learns the request arrived.
@Suite struct FragmentedRequestAckTests {
    let getPort = Port(hex: "a0b0c0d0e0f0")!
    var putPort: Port { getPort.putPort }

    func pair(seed: UInt64, threads: Int = 1) -> (SimNetwork, RPCStack, RPCStack) {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment()
        let client = RPCStack(net, name: "client", on: [seg], seed: seed &+ 1, configuration: quickConfiguration())
        let server = RPCStack(net, name: "server", on: [seg], seed: seed &+ 2, configuration: quickConfiguration())
        server.serve(getPort, threads: threads, handler: echo)
        return (net, client, server)
    }

    func sent(_ s: RPCStack, _ t: AmpType, server: Bool) -> Int {
        (server ? s.serverRPC : s.clientRPC).sent[Int(t.rawValue)]
    }

    @Test func thirtyThousandByteRequestIsAcknowledgedWhenWhole() throws {
        let (net, client, server) = pair(seed: 31)
        server.holdRequests = true
        let req = request(to: putPort, key: 30, size: 30000)
        let id = client.trans(req)
        #expect(net.run(until: { server.held.count == 1 }, limit: .seconds(5)))
        let arrived = net.now
        // The ACK is on its way the moment the request is whole: one
        // network latency later the client knows, long before its serve
        // timer (200 ms in these tests) would have it ask.
        #expect(sent(server, .ack, server: true) == 1)
        #expect(net.run(until: { client.clientRPC.received[Int(AmpType.ack.rawValue)] == 1 },
                        limit: .milliseconds(5)))
        #expect(net.now - arrived < .milliseconds(5))
        // The server thinks for a second: the client, told the request
        // arrived, only enquires whether the server lives; it never asks
        // RECEIVED and never resends a byte of the 30000.
        let framesBefore = net.framesSent
        net.run(for: .seconds(1))
        #expect(sent(client, .received, server: false) == 0)
        #expect(sent(client, .request, server: false) == 1)
        #expect(client.clientRPC.retransmissions == 0)
        #expect(net.framesSent - framesBefore < 10)
        server.holdRequests = false
        server.releaseHeld()
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(2)))
        #expect(try client.results[id]!.get().data == req.data.reversed())
        #expect(server.executions[30] == 1)
    }

    @Test func singleFrameRequestWaitsForItsReplyToBeAcknowledged() throws {
        let (net, client, server) = pair(seed: 32)
        server.holdRequests = true
        let id = client.trans(request(to: putPort, key: 31, size: 100))
        #expect(net.run(until: { server.held.count == 1 }, limit: .seconds(5)))
        net.run(for: .milliseconds(50))
        #expect(sent(server, .ack, server: true) == 0)
        server.holdRequests = false
        server.releaseHeld()
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(2)))
        #expect(sent(server, .ack, server: true) == 0)
    }

    @Test func queuedFragmentedRequestIsAcknowledgedToo() throws {
        let (net, client, server) = pair(seed: 33)
        server.holdRequests = true
        let first = client.trans(request(to: putPort, key: 40, size: 8))
        #expect(net.run(until: { server.held.count == 1 }, limit: .seconds(5)))
        // The one thread is busy: the large request waits in the queue,
        // taken all the same, and the client hears so.
        let second = client.trans(request(to: putPort, key: 41, size: 5000))
        #expect(net.run(until: { sent(server, .ack, server: true) == 1 }, limit: .seconds(1)))
        net.run(for: .seconds(1))
        #expect(sent(client, .received, server: false) <= 1)  // the first call's own probe
        server.holdRequests = false
        server.releaseHeld()
        #expect(net.run(until: { client.results[first] != nil && client.results[second] != nil }, limit: .seconds(5)))
        #expect(try client.results[second]!.get().header.offset == 41)
        #expect(server.executions[41] == 1)
    }
}
