import Testing
import AmoebaCore
import FLIP
@testable import RPC

/// The server's tables that replaced walks of every slot: which listening
/// slot a request takes, which slot serves a client's request, and the
/// node's next deadline, kept in a heap. Driven by hand: requests and
/// acknowledgements are fed to one RPC machine as FLIP deliveries.
@Suite struct ServerTableTests {
    let portA = Port(hex: "0a0b0c0d0e0f")!
    let portB = Port(hex: "1a1b1c1d1e1f")!
    let t0 = Instant(microseconds: 1_000_000)

    func machine() -> RPCNode {
        RPCNode(box: FLIPBox(), kid: Forgery.address(0x5EED), privateAddress: Forgery.address(0xABCDEF))
    }

    func client(_ n: UInt64) -> FLIPAddress { RPCNode.handFedClient(n) }

    func deliver(_ rpc: RPCNode, _ amp: AmpHeader, body: RPCMessage? = nil, from source: FLIPAddress, now: Instant) {
        rpc.handFeed(amp, body: body, from: source, now: now)
    }

    /// A first request from client `n` for `getPort`'s put-port.
    func request(_ rpc: RPCNode, _ getPort: Port, client n: UInt64, tid: UInt32, now: Instant,
                 retransmission: Bool = false) {
        rpc.handFeedRequest(for: getPort, client: n, tid: tid, now: now, retransmission: retransmission)
    }

    func ack(_ rpc: RPCNode, slot: ServerSlotID, client n: UInt64, tid: UInt32, now: Instant) {
        let amp = AmpHeader(kid: Forgery.address(0xD000 + n), type: .ack, tid: tid, dest: slot.rawValue, from: 7)
        deliver(rpc, amp, from: client(n), now: now)
    }

    func arrivals(_ rpc: RPCNode) -> [ServerSlotID] {
        rpc.takeEvents().compactMap {
            if case .requestArrived(let slot, _) = $0 { return slot }
            return nil
        }
    }

    @Test func aRequestTakesTheSlotOfItsPortThatListenedLongest() throws {
        let rpc = machine()
        let a1 = try #require(rpc.getreq(port: portA, now: t0))
        let a2 = try #require(rpc.getreq(port: portA, now: t0))
        let b1 = try #require(rpc.getreq(port: portB, now: t0))
        // a1 leaves; its index is handed out again to a later getreq, so
        // the lowest index is now the youngest listener.
        rpc.cancelGetreq(a1, now: t0)
        let a3 = try #require(rpc.getreq(port: portA, now: t0))
        #expect(a3.rawValue < a2.rawValue)
        request(rpc, portA, client: 1, tid: 1, now: t0)
        #expect(arrivals(rpc) == [a2])
        request(rpc, portB, client: 2, tid: 1, now: t0)
        #expect(arrivals(rpc) == [b1])
        request(rpc, portA, client: 3, tid: 1, now: t0)
        #expect(arrivals(rpc) == [a3])
        // Every slot of A serves: the next request of A waits for a getreq.
        request(rpc, portA, client: 4, tid: 1, now: t0)
        #expect(arrivals(rpc).isEmpty)
        #expect(rpc.pending.count == 1)
        let a4 = try #require(rpc.getreq(port: portA, now: t0))
        #expect(arrivals(rpc) == [a4])
        #expect(rpc.pending.isEmpty)
    }

    @Test func aWithdrawnListenerIsNeverHandedARequest() throws {
        let rpc = machine()
        let a1 = try #require(rpc.getreq(port: portA, now: t0))
        let a2 = try #require(rpc.getreq(port: portA, now: t0))
        rpc.cancelGetreq(a1, now: t0)
        request(rpc, portA, client: 1, tid: 1, now: t0)
        #expect(arrivals(rpc) == [a2])
        // A serving slot cannot be withdrawn; a port with no slot refuses.
        rpc.cancelGetreq(a2, now: t0)
        #expect(rpc.isServing(client(1), slot: 7, tid: 1) == a2.rawValue)
        request(rpc, portB, client: 2, tid: 1, now: t0)
        #expect(arrivals(rpc).isEmpty)
        #expect(rpc.pending.isEmpty)
        #expect(rpc.statistics.sent[Int(AmpType.nak.rawValue)] == 1)
    }

    @Test func theSlotServingARequestAnswersItsRetransmissions() throws {
        let rpc = machine()
        let a1 = try #require(rpc.getreq(port: portA, now: t0))
        _ = try #require(rpc.getreq(port: portA, now: t0))
        request(rpc, portA, client: 1, tid: 5, now: t0)
        #expect(arrivals(rpc) == [a1])
        #expect(rpc.isServing(client(1), slot: 7, tid: 5) == a1.rawValue)
        #expect(rpc.isServing(client(1), slot: 7, tid: 6) == nil)
        #expect(rpc.isServing(client(2), slot: 7, tid: 5) == nil)
        // A copy of the request is no new request: ACKed, not served again.
        request(rpc, portA, client: 1, tid: 5, now: t0, retransmission: true)
        #expect(arrivals(rpc).isEmpty)
        #expect(rpc.statistics.sent[Int(AmpType.ack.rawValue)] == 1)
        rpc.putrep(a1, RPCMessage(header: Header()), now: t0)
        #expect(rpc.isServing(client(1), slot: 7, tid: 5) == a1.rawValue)
        ack(rpc, slot: a1, client: 1, tid: 5, now: t0)
        #expect(rpc.isServing(client(1), slot: 7, tid: 5) == nil)
    }

    @Test func theNextDeadlineFollowsRepliesAsTheyAreAcknowledged() throws {
        let rpc = machine()
        #expect(rpc.nextDeadline == nil)
        var slots: [ServerSlotID] = []
        for n in 0..<3 { slots.append(try #require(rpc.getreq(port: portA, now: t0))); _ = n }
        for n in 0..<3 { request(rpc, portA, client: UInt64(n), tid: 1, now: t0) }
        #expect(arrivals(rpc) == slots)
        #expect(rpc.nextDeadline == nil)  // serving: no timer
        // Replies sent 1 ms apart: each waits minReplyTimeout for its ACK.
        let wait = rpc.replyTimeout(.milliseconds(10))
        for (n, s) in slots.enumerated() {
            rpc.putrep(s, RPCMessage(header: Header()), now: t0 + .milliseconds(Int64(n)))
        }
        #expect(rpc.nextDeadline == t0 + wait)
        ack(rpc, slot: slots[0], client: 0, tid: 1, now: t0 + .milliseconds(3))
        #expect(rpc.nextDeadline == t0 + .milliseconds(1) + wait)
        // The last one acknowledged first leaves the middle one earliest.
        ack(rpc, slot: slots[2], client: 2, tid: 1, now: t0 + .milliseconds(3))
        #expect(rpc.nextDeadline == t0 + .milliseconds(1) + wait)
        // Its timer passes: the server asks RECEIVED and backs off.
        let due = t0 + .milliseconds(1) + wait
        rpc.tick(now: due)
        #expect(rpc.statistics.sent[Int(AmpType.received.rawValue)] == 1)
        let next = try #require(rpc.nextDeadline)
        #expect(next > due)
        ack(rpc, slot: slots[1], client: 1, tid: 1, now: due)
        #expect(rpc.nextDeadline == nil)
    }

    @Test func theNextDeadlineStaysRightThroughManyTransactions() throws {
        let rpc = machine()
        // One reply never acknowledged holds the earliest deadline while
        // thousands of others come and go behind it.
        let held = try #require(rpc.getreq(port: portA, now: t0))
        request(rpc, portA, client: 999, tid: 1, now: t0)
        rpc.putrep(held, RPCMessage(header: Header()), now: t0)
        let first = try #require(rpc.nextDeadline)
        for n in 0..<5000 {
            let now = t0 + .microseconds(Int64(n))
            let s = try #require(rpc.getreq(port: portA, now: now))
            request(rpc, portA, client: UInt64(n % 50), tid: UInt32(n + 1), now: now)
            rpc.putrep(s, RPCMessage(header: Header()), now: now)
            #expect(rpc.nextDeadline == first)
            ack(rpc, slot: s, client: UInt64(n % 50), tid: UInt32(n + 1), now: now)
        }
        _ = rpc.takeEvents()
        #expect(rpc.activeSlots == 1)
        #expect(rpc.nextDeadline == first)
        #expect(rpc.servers.heapCount < 200, "stale deadlines piled up")
        // A client's call joins: the earliest of both.
        _ = rpc.trans(RPCMessage(header: Header(port: portB.putPort, command: 1)), now: t0)
        #expect(rpc.nextDeadline == min(first, t0 + rpc.configuration.locateInterval))
    }
}

/// The table of requests being served, against a dictionary.
@Suite struct ServingIndexTests {
    @Test func agreesWithADictionaryThroughInsertionsAndRemovals() {
        struct Key: Hashable { var a: UInt64, s: UInt16, t: UInt32 }
        let index = ServingIndex(salt: 0x1234)
        var reference: [Key: UInt16] = [:]
        var g = SplitMix(seed: 7)
        for step in 0..<20_000 {
            // Few distinct values, so keys collide and runs form.
            let k = Key(a: g.next() % 40, s: UInt16(g.next() % 3), t: UInt32(g.next() % 40))
            let address = FLIPAddress(littleEndianBits: k.a)
            if g.next() % 3 == 0 {
                index.remove(address, slot: k.s, tid: k.t)
                reference[k] = nil
            } else {
                let v = UInt16(step % 65_000)
                index.set(address, slot: k.s, tid: k.t, state: v)
                reference[k] = v
            }
            #expect(index.count == reference.count)
            let probe = Key(a: g.next() % 40, s: UInt16(g.next() % 3), t: UInt32(g.next() % 40))
            #expect(index.state(serving: FLIPAddress(littleEndianBits: probe.a), slot: probe.s, tid: probe.t)
                    == reference[probe])
        }
        for (k, v) in reference {
            #expect(index.state(serving: FLIPAddress(littleEndianBits: k.a), slot: k.s, tid: k.t) == v)
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
