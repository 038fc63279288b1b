import Testing
import AmoebaCore
import FLIP
import SimNet
@testable import RPC

/// A port whose every server slot is busy is still there: its node answers
/// a locate for it (HEREIS), and a request that finds no free slot is
/// refused with NAK ("no thread") and retried, never run twice. Before,
/// such a node went silent to locates while its queue was full, so a new
/// client of a flooded kernel node's port ended RPC_NOTFOUND.
@Suite struct BusyPortLocateTests {
    let getPort = Port(hex: "5a4b3c2d1e0f")!
    var putPort: Port { getPort.putPort }

    /// A server with two slots, both serving held requests, and a third
    /// request filling the queue (limit 1): nothing more fits.
    func busyServer() -> (SimNetwork, SegmentID, RPCStack, [(RPCStack, SimOwner)]) {
        var config = quickConfiguration()
        config.pendingRequestLimit = 1
        let net = SimNetwork(seed: 31)
        let seg = net.addSegment()
        let server = RPCStack(net, name: "server", on: [seg], seed: 32, configuration: config)
        server.serve(getPort, threads: 2, handler: echo)
        server.holdRequests = true
        var first: [(RPCStack, SimOwner)] = []
        for i in 0..<3 {
            let c = RPCStack(net, name: "busy\(i)", on: [seg], seed: 40 + UInt64(i), configuration: config)
            first.append((c, c.trans(request(to: putPort, key: UInt64(i)))))
            net.run(for: .milliseconds(250))
        }
        return (net, seg, server, first)
    }

    @Test func aPortWithEverySlotBusyIsStillLocatedAndServedOnceASlotFrees() throws {
        let (net, seg, server, first) = busyServer()
        let config = server.node.node.configuration.rpc
        #expect(server.held.count == 2)
        #expect(server.serverRPC.sent[Int(AmpType.nak.rawValue)] == 0)

        // A new client knows nothing of the port: it must locate it.
        let late = RPCStack(net, name: "late", on: [seg], seed: 50, configuration: config)
        let id = late.trans(request(to: putPort, key: 9))
        net.run(for: .milliseconds(300))
        #expect(late.clientRPC.received[Int(AmpType.hereIs.rawValue)] >= 1, "the busy port answered no locate")
        #expect(late.clientRPC.sent[Int(AmpType.request.rawValue)] >= 1)
        #expect(server.serverRPC.sent[Int(AmpType.nak.rawValue)] >= 1, "no slot free: the request is refused")
        #expect(late.results[id] == nil)
        #expect(server.executions[9] == nil)

        // A slot frees: every call completes, each request run once.
        server.holdRequests = false
        server.releaseHeld()
        let all = first + [(late, id)]
        #expect(net.run(until: { all.allSatisfy { $0.0.results[$0.1] != nil } }, limit: .seconds(10)))
        for (c, t) in all { #expect((try? c.results[t]!.get())?.header.status == .ok) }
        #expect(server.executions.count == 4)
        #expect(server.executions.values.allSatisfy { $0 == 1 })
    }

    /// Refused again and again by a port that stays busy for seconds (a
    /// flood from others), a call backs off further each time rather than
    /// spend its ten retrials in half a second and end RPC_NOTFOUND while
    /// the server it found is working.
    @Test func aCallOutlastsAPortBusyForSeconds() throws {
        let (net, seg, server, first) = busyServer()
        let late = RPCStack(net, name: "late", on: [seg], seed: 50, configuration: server.node.node.configuration.rpc)
        let id = late.trans(request(to: putPort, key: 9))
        net.run(for: .seconds(3))
        let naks = server.serverRPC.sent[Int(AmpType.nak.rawValue)]
        #expect(late.results[id] == nil, "gave up on a busy server after \(naks) refusals")
        #expect(naks >= 4 && naks <= 9)
        server.holdRequests = false
        server.releaseHeld()
        let all = first + [(late, id)]
        #expect(net.run(until: { all.allSatisfy { $0.0.results[$0.1] != nil } }, limit: .seconds(10)))
        for (c, t) in all { #expect((try? c.results[t]!.get())?.header.status == .ok) }
        #expect(server.executions.values.allSatisfy { $0 == 1 })
    }
}
