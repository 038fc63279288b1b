// A request held between its port's getreqs enters the at-most-once
// ledger only when a slot takes it, up to `betweenGetreqsGrace` after it
// came. It was found admissible when it came; if other clients have
// filled the ledger since, recording it would push out a client that may
// still retransmit, whose late copy would then run again. Taken then, it
// is refused as on arrival (NAK), and nothing is forgotten.

import Testing
import AmoebaCore
import FLIP
@testable import RPC

@Suite struct HeldRequestLedgerTests {
    let portA = Port(hex: "2a2b2c2d2e2f")!
    let portB = Port(hex: "3a3b3c3d3e3f")!
    let t0 = Instant(microseconds: 1_000_000)

    /// Room for two histories and one summary: two proven clients and one
    /// recent summary leave no room for a stranger.
    func machine() -> RPCNode {
        var config = RPCConfiguration()
        config.ledgerKernels = 2
        config.ledgerSummaries = 1
        return RPCNode(box: FLIPBox(), kid: Forgery.address(0x5EED), privateAddress: Forgery.address(0xABCDEF),
                       configuration: config)
    }

    func client(_ n: UInt64) -> FLIPAddress { RPCNode.handFedClient(n) }
    func kid(_ n: UInt64) -> KernelID { RPCNode.handFedKid(n) }

    func deliver(_ rpc: RPCNode, _ amp: AmpHeader, body: RPCMessage? = nil, from source: FLIPAddress, now: Instant) {
        rpc.handFeed(amp, body: body, from: source, now: now)
    }

    /// A first request from client `n` for `getPort`'s put-port.
    func request(_ rpc: RPCNode, _ getPort: Port, client n: UInt64, tid: UInt32, now: Instant,
                 retransmission: Bool = false) {
        rpc.handFeedRequest(for: getPort, client: n, tid: tid, now: now, retransmission: retransmission)
    }

    func arrivals(_ rpc: RPCNode) -> [ServerSlotID] {
        rpc.takeEvents().compactMap {
            if case .requestArrived(let slot, _) = $0 { return slot }
            return nil
        }
    }

    /// Client `n` calls `getPort` once (tid 1), is answered and acknowledges:
    /// a proven history; the slot ends with the acknowledgement.
    func serveAndProve(_ rpc: RPCNode, _ getPort: Port, client n: UInt64, now: Instant) throws {
        let slot = try #require(rpc.getreq(port: getPort, now: now))
        request(rpc, getPort, client: n, tid: 1, now: now)
        #expect(arrivals(rpc) == [slot])
        rpc.putrep(slot, RPCMessage(header: Header(port: getPort.putPort, command: 0)), now: now)
        let ack = AmpHeader(kid: kid(n), type: .ack, tid: 1, dest: slot.rawValue, from: 7)
        deliver(rpc, ack, from: client(n), now: now)
        #expect(rpc.activeSlots == 0)
    }

    var naks: (RPCNode) -> Int { { $0.statistics.sent[Int(AmpType.nak.rawValue)] } }

    @Test func aHeldRequestTakenAfterTheLedgerFilledIsRefusedAndForgetsNobody() throws {
        let rpc = machine()
        // Client 1 is served on A; its ACK ends A's last slot.
        try serveAndProve(rpc, portA, client: 1, now: t0)
        // Client 2 comes right behind: held, admissible then (room for one more).
        request(rpc, portA, client: 2, tid: 1, now: t0 + .milliseconds(1))
        #expect(rpc.pending.count == 1)
        #expect(naks(rpc) == 0)
        // Within the grace, clients 3 and 4 are served on B and proven: the
        // ledger holds 3 and 4, client 1 is a recent summary, and no room is left.
        try serveAndProve(rpc, portB, client: 3, now: t0 + .milliseconds(2))
        try serveAndProve(rpc, portB, client: 4, now: t0 + .milliseconds(3))
        #expect(rpc.ledgerUsage.histories == 2)
        #expect(rpc.ledgerUsage.summaries == 1)
        // The server's thread is back: the held request is refused, not run.
        let slot = try #require(rpc.getreq(port: portA, now: t0 + .milliseconds(5)))
        #expect(arrivals(rpc).isEmpty)
        #expect(rpc.pending.isEmpty)
        #expect(naks(rpc) == 1)
        #expect(rpc.isServing(client(2), slot: 7, tid: 1) == nil)
        #expect(rpc.ledgerUsage.histories == 2)
        #expect(rpc.ledgerUsage.summaries == 1)
        #expect(rpc.ledgerUsage.refusals == 1)
        // Nobody was forgotten: a late copy of client 1's request is refused,
        // and the slot still listens.
        request(rpc, portA, client: 1, tid: 1, now: t0 + .milliseconds(6), retransmission: true)
        #expect(arrivals(rpc).isEmpty)
        #expect(rpc.statistics.duplicatesRefused == 1)
        #expect(rpc.portSlots.firstListening(portA.putPort) == slot.rawValue)
    }

    /// With room in the ledger the held request is taken as before.
    @Test func aHeldRequestWithRoomIsTaken() throws {
        let rpc = machine()
        try serveAndProve(rpc, portA, client: 1, now: t0)
        request(rpc, portA, client: 2, tid: 1, now: t0 + .milliseconds(1))
        let slot = try #require(rpc.getreq(port: portA, now: t0 + .milliseconds(5)))
        #expect(arrivals(rpc) == [slot])
        #expect(naks(rpc) == 0)
        #expect(rpc.ledgerUsage.histories == 2)
        #expect(rpc.ledgerUsage.refusals == 0)
    }
}
