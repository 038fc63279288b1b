import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

/// Transactions on the simulated network, from the easy case to the ones
/// the protocol exists for: loss, duplication, reordering, dead servers.
@Suite struct TransactionTests {
    let getPort = Port(hex: "102030405060")!
    var putPort: Port { getPort.putPort }

    /// Client and server on one segment.
    func pair(seed: UInt64, faults: FaultProfile = .none, configuration: RPCConfiguration = quickConfiguration(),
              threads: Int = 1) -> (SimNetwork, RPCStack, RPCStack) {
        let net = SimNetwork(seed: seed)
        let seg = net.addSegment(faults: faults)
        let client = RPCStack(net, name: "client", on: [seg], seed: seed &+ 1, configuration: configuration)
        let server = RPCStack(net, name: "server", on: [seg], seed: seed &+ 2, configuration: configuration)
        server.serve(getPort, threads: threads, handler: echo)
        return (net, client, server)
    }

    @Test func nullTransactionLocatesAndCompletes() throws {
        let (net, client, server) = pair(seed: 1)
        let id = client.trans(request(to: putPort, key: 42))
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(5)))
        let reply = try client.results[id]!.get()
        #expect(reply.header.status == .ok)
        #expect(reply.data == request(to: putPort, key: 42).data.reversed())
        #expect(server.executions[42] == 1)
        #expect(client.clientRPC.sent[Int(AmpType.locate.rawValue)] >= 1)
        #expect(client.clientRPC.received[Int(AmpType.hereIs.rawValue)] == 1)
        // The second transaction finds the port in the cache: no new locate.
        let locates = client.clientRPC.sent[Int(AmpType.locate.rawValue)]
        let id2 = client.trans(request(to: putPort, key: 43))
        #expect(net.run(until: { client.results[id2] != nil }, limit: .seconds(5)))
        #expect(client.clientRPC.sent[Int(AmpType.locate.rawValue)] == locates)
        net.run(for: .seconds(1))
        #expect(server.serverRPC.received[Int(AmpType.ack.rawValue)] == 2)
        #expect(server.node.node.statistics.serverStates == 1)  // back in getreq, replies acknowledged
    }

    @Test func locateAcrossTwoGateways() throws {
        let net = SimNetwork(seed: 2)
        let s0 = net.addSegment(), s1 = net.addSegment(), s2 = net.addSegment()
        let client = RPCStack(net, name: "client", on: [s0], seed: 10)
        _ = net.addNode(name: "gw1", on: [s0, s1])
        _ = net.addNode(name: "gw2", on: [s1, s2])
        let server = RPCStack(net, name: "server", on: [s2], seed: 11)
        server.serve(getPort, threads: 2, handler: echo)
        let id = client.trans(request(to: putPort, key: 7, size: 3000))
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(5)))
        #expect(try client.results[id]!.get().data == request(to: putPort, key: 7, size: 3000).data.reversed())
        // Two gateways: at least the 1- and 3-hop locates found nothing;
        // one of weight 7 or more was needed.
        #expect(client.clientRPC.sent[Int(AmpType.locate.rawValue)] >= 3)
    }

    @Test func noServerMeansNotFoundInBoundedTime() throws {
        let net = SimNetwork(seed: 3)
        let seg = net.addSegment()
        let client = RPCStack(net, name: "client", on: [seg], seed: 12)
        let id = client.trans(request(to: Port(hex: "0000000000aa")!, key: 1))
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(30)))
        #expect(client.results[id].map { r in if case .failure(.rpcNotFound) = r { true } else { false } } == true)
        #expect(client.completedAt[id]! <= Instant.zero + .seconds(6))
    }

    @Test func nullPortIsRefusedAtOnce() {
        let net = SimNetwork(seed: 4)
        let client = RPCStack(net, name: "c", on: [net.addSegment()], seed: 13)
        let id = client.trans(RPCMessage(header: Header(port: .null, command: 1)))
        #expect(client.results[id].map { r in if case .failure(.rpcBadPort) = r { true } else { false } } == true)
    }

    @Test func thirtyThousandBytesUnderDropDuplicationAndReorder() throws {
        let faults = FaultProfile(drop: 0.2, duplicate: 0.2, reorder: 0.2)
        let (net, client, server) = pair(seed: 5, faults: faults)
        let req = request(to: putPort, key: 99, size: 30000)
        let id = client.trans(req)
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(3600)))
        let reply = try client.results[id]!.get()
        #expect(reply.data == req.data.reversed())
        #expect(server.executions[99] == 1)
        #expect(client.clientRPC.retransmissions > 0)
    }

    @Test func messagesLargerThanMaxTransTravelByFragmentation() throws {
        let (net, client, _) = pair(seed: 6)
        let req = request(to: putPort, key: 5, size: 100_000)
        let id = client.trans(req)
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(10)))
        #expect(try client.results[id]!.get().data == req.data.reversed())
    }

    @Test func deadServerGivesAnErrorNotAHang() throws {
        let (net, client, server) = pair(seed: 7)
        server.holdRequests = true
        let id = client.trans(request(to: putPort, key: 1))
        #expect(net.run(until: { server.held.count == 1 }, limit: .seconds(5)))
        net.run(for: .seconds(2))  // the client is now waiting for the reply
        let killedAt = net.now
        net.kill(server.node)
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(120)))
        switch client.results[id]! {
        case .failure(let e): #expect(e == .rpcFailure || e == .rpcNotFound)
        case .success: Issue.record("a dead server cannot reply")
        }
        #expect(client.completedAt[id]! - killedAt <= .seconds(30))
        #expect(client.clientRPC.sent[Int(AmpType.enquire.rawValue)] > 0)
    }

    @Test func slowServerIsKeptAliveByEnquiries() throws {
        let (net, client, server) = pair(seed: 8)
        server.holdRequests = true
        let id = client.trans(request(to: putPort, key: 3))
        net.run(for: .seconds(20))
        #expect(client.results[id] == nil)
        #expect(client.clientRPC.sent[Int(AmpType.enquire.rawValue)] >= 10)
        #expect(client.clientRPC.received[Int(AmpType.alive.rawValue)] >= 10)
        server.holdRequests = false
        server.releaseHeld()
        #expect(net.run(until: { client.results[id] != nil }, limit: .seconds(5)))
        #expect(try client.results[id]!.get().header.offset == 3)
        #expect(server.executions[3] == 1)
    }

    @Test func busyServerQueuesThenNaksAndClientsBackOff() throws {
        var config = quickConfiguration()
        config.pendingRequestLimit = 1
        let (net, _, server) = pair(seed: 9, configuration: config)
        server.holdRequests = true
        var clients: [RPCStack] = []
        var ids: [SimOwner] = []
        for i in 0..<3 {
            let c = RPCStack(net, name: "c\(i)", on: [SegmentID(rawValue: 0)], seed: 100 + UInt64(i), configuration: config)
            clients.append(c)
            ids.append(c.trans(request(to: putPort, key: UInt64(i))))
        }
        net.run(for: .milliseconds(300))
        // One request is served, one waits in the queue, one was NAKed.
        #expect(server.held.count == 1)
        #expect(server.serverRPC.sent[Int(AmpType.nak.rawValue)] >= 1)
        server.holdRequests = false
        server.releaseHeld()
        #expect(net.run(until: { zip(clients, ids).allSatisfy { $0.results[$1] != nil } }, limit: .seconds(10)))
        for (c, id) in zip(clients, ids) { #expect((try? c.results[id]!.get()) != nil) }
        #expect(server.executions.values.allSatisfy { $0 == 1 })
        #expect(server.executions.count == 3)
    }
}
