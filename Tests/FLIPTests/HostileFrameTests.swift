// Issue 10, items 2, 4 and 8: frames from a stranger on the segment (any
// source MAC, any claimed FLIP address) must not lock the flow-control
// table, black-hole a peer (live or silent) or grow a route list without
// bound, and a peer that really moved must still be found.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct HostileFrameTests {
    let myMAC = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
    let peerMAC = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
    let peer = FLIPAddress(hex: "5151515151515100")!

    func box(_ configure: (inout FLIPConfiguration) -> Void = { _ in }) -> (FLIPBox, InterfaceID, EndpointID, FLIPAddress) {
        var c = FLIPConfiguration()
        configure(&c)
        let b = FLIPBox(configuration: c)
        let i = b.addInterface(mac: myMAC)
        let e = b.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        return (b, i, e, b.address(of: e)!)
    }

    func strangerMAC(_ n: Int) -> EthernetAddress {
        EthernetAddress(bytes: [6, 1, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0])!
    }

    func frame(_ type: FLIPPacketType, from mac: EthernetAddress, source: FLIPAddress, destination: FLIPAddress,
               act: UInt16 = 3, max: UInt16 = 3, messageID: UInt32 = 1, data: [UInt8] = [1],
               total: UInt32? = nil, to: EthernetAddress = .broadcast) -> [UInt8] {
        let h = FLIPHeader(type: type, actualHops: act, maximumHops: max, destination: destination, source: source,
                           messageID: messageID, length: UInt32(data.count), total: total ?? UInt32(data.count))
        return EthernetFrame(destination: to, source: mac, control: FragmentControl(type: .data), flip: h,
                             data: data).encoded()
    }

    /// The Ethernet destinations of the data frames the box sent.
    func sentTo(_ b: FLIPBox) -> [EthernetAddress] {
        b.takeEvents().compactMap {
            guard case .transmit(_, let bytes) = $0, let f = try? EthernetFrame.decode(bytes), f.flip != nil else { return nil }
            return f.destination
        }
    }

    /// The peer talks to us: its route is learned and answering.
    func hearPeer(_ b: FLIPBox, _ i: InterfaceID, me: FLIPAddress, at t: Instant) {
        b.receive(frame: frame(.unidata, from: peerMAC, source: peer, destination: me, to: myMAC), on: i, now: t)
        _ = b.takeEvents()
    }

    /// 1,030 strangers each send the first frame of a two-frame message and
    /// never the second, leaving owed credit. A real peer met afterwards is
    /// still sent to, and the table stays within its bound.
    @Test func strangersOwedCreditNeverLockTheFlowTable() {
        let (b, i, e, me) = box { $0.maxPeers = 1024 }
        for n in 0..<1030 {
            b.receive(frame: frame(.unidata, from: strangerMAC(n), source: FLIPAddress(bytes: [9, 1, UInt8(n >> 8), UInt8(n & 0xFF), 0, 0, 0, 0])!,
                                   destination: me, messageID: UInt32(n), data: [UInt8](repeating: 1, count: 8),
                                   total: 3000, to: myMAC), on: i, now: .zero)
            #expect(b.peerCount <= 1024)
        }
        _ = b.takeEvents()
        hearPeer(b, i, me: me, at: .zero)
        _ = b.unicast(pattern(4000), from: e, to: peer, now: .zero)
        let sent = sentTo(b)
        #expect(sent.filter { $0 == peerMAC }.count >= 3, "a multi-frame message to a real peer must go out")
    }

    /// Data frames the box sent (LOCATEs and the like left out), and the
    /// LOCATEs, drained from its events.
    func drain(_ b: FLIPBox) -> (data: [EthernetAddress], locates: [FLIPHeader]) {
        var data: [EthernetAddress] = []
        var locates: [FLIPHeader] = []
        for e in b.takeEvents() {
            guard case .transmit(_, let bytes) = e, let f = try? EthernetFrame.decode(bytes), let h = f.flip else { continue }
            if h.packetType == .unidata { data.append(f.destination) }
            if h.packetType == .locate { locates.append(h) }
        }
        return (data, locates)
    }

    /// What the holder of `peer` sends back from `mac` for `locate`: the
    /// LOCATE turned around, its id echoed, with the counts appended.
    func hereIs(answering locate: FLIPHeader, from mac: EthernetAddress) -> [UInt8] {
        frame(.hereIs, from: mac, source: locate.source, destination: locate.destination, act: 0,
              max: locate.actualHops, messageID: locate.messageID,
              data: HereIsTrailer(count: 1, trustedCount: 1).encoded(), to: myMAC)
    }

    /// A spoofed HEREIS claiming the peer one hop away, a LOCATE and a data
    /// frame with the peer's address as source: while the peer answers,
    /// traffic still goes to it.
    @Test func spoofedHereIsLocateAndSourceDoNotBlackHoleALivePeer() {
        let (b, i, e, me) = box()
        var t = Instant(microseconds: 1_000_000)
        hearPeer(b, i, me: me, at: t)
        t = t + .milliseconds(1)
        let attacker = strangerMAC(1)
        // HEREIS: as if answering a locate for the peer, at distance 1.
        let trailer = HereIsTrailer(count: 1, trustedCount: 1).encoded()
        b.receive(frame: frame(.hereIs, from: attacker, source: me, destination: peer, act: 0, max: 1,
                               data: trailer, to: myMAC), on: i, now: t)
        // LOCATE from the peer's address (would replace all its routes).
        b.receive(frame: frame(.locate, from: attacker, source: peer, destination: FLIPAddress(hex: "7777777777777700")!,
                               act: 0, max: 25, messageID: 99, data: []), on: i, now: t)
        // UNIDATA claiming to come from the peer at distance 1.
        b.receive(frame: frame(.unidata, from: attacker, source: peer, destination: me, act: 0, max: 3, messageID: 5,
                               to: myMAC), on: i, now: t)
        _ = b.takeEvents()
        t = t + .seconds(5)
        hearPeer(b, i, me: me, at: t)
        _ = b.unicast([1, 2, 3], from: e, to: peer, now: t)
        #expect(drain(b).data == [peerMAC])
    }

    /// Issue 10, item 4: the peer has been silent for longer than the
    /// answer window, and a stranger claims its address from its own MACs
    /// every second for a minute (HEREIS with guessed ids, data frames,
    /// LOCATEs from the address). The peer is alive and answers what asks
    /// it (our probes), nothing else. A call made after all that goes to
    /// the peer, and the route still points at it.
    @Test func aSilentPeerKeepsItsRouteAgainstAStrangerClaimingIt() {
        let (b, i, e, me) = box()
        hearPeer(b, i, me: me, at: .zero)
        _ = b.unicast([0], from: e, to: peer, now: .zero)
        #expect(drain(b).data == [peerMAC])
        let trailer = HereIsTrailer(count: 1, trustedCount: 1).encoded()
        var probesAnswered = 0
        var t = Instant.zero
        for second in 31...90 {
            t = Instant(microseconds: Int64(second) * 1_000_000)
            let attacker = strangerMAC(second % 3)
            b.receive(frame: frame(.hereIs, from: attacker, source: me, destination: peer, act: 0, max: 1,
                                   messageID: UInt32(second), data: trailer, to: myMAC), on: i, now: t)
            b.receive(frame: frame(.unidata, from: attacker, source: peer, destination: me, act: 0, max: 3,
                                   messageID: UInt32(second), to: myMAC), on: i, now: t)
            b.receive(frame: frame(.locate, from: attacker, source: peer, destination: FLIPAddress(hex: "7777777777777700")!,
                                   act: 0, max: 3, messageID: UInt32(1000 + second), data: []), on: i, now: t)
            // The real peer answers the LOCATEs for it that reach it.
            for l in drain(b).locates where l.destination == peer {
                b.receive(frame: hereIs(answering: l, from: peerMAC), on: i, now: t + .milliseconds(1))
                probesAnswered += 1
            }
            b.tick(now: t + .milliseconds(500))
            #expect(drain(b).data.isEmpty, "nothing is sent on a stranger's word")
        }
        #expect(probesAnswered > 0 && probesAnswered <= 60)
        #expect(b.statistics.routeClaimsHeldBack > 0)
        #expect(b.routes.best(peer, budget: 25, now: t)?.location == peerMAC)
        _ = b.unicast([1, 2, 3], from: e, to: peer, now: t + .seconds(1))
        b.tick(now: t + .seconds(2))
        #expect(drain(b).data == [peerMAC])
    }

    /// The same stranger while the peer answers nothing at all (its probes
    /// go unanswered): the route does not move either; a message sent
    /// during a probe goes the old way when the probe gives up.
    @Test func anUnansweredProbeLeavesTheRouteWhereItWas() {
        let (b, i, e, me) = box()
        hearPeer(b, i, me: me, at: .zero)
        let t = Instant(microseconds: 45_000_000)
        b.receive(frame: frame(.unidata, from: strangerMAC(7), source: peer, destination: me, act: 0, max: 3,
                               to: myMAC), on: i, now: t)
        #expect(drain(b).locates.count == 1, "a claim from a new place is checked by a probe")
        _ = b.unicast([1], from: e, to: peer, now: t)
        #expect(drain(b).data.isEmpty, "the message waits for the probe")
        b.tick(now: t + FLIPConfiguration().routeProbeTimeout)
        #expect(drain(b).data == [peerMAC])
    }

    /// A peer that really moved (restarted behind a new MAC, same address)
    /// is found within one locate round: its first frame from the new
    /// place starts a probe, and its answer moves the route.
    @Test func aPeerThatMovedIsFoundWithinOneLocateRound() {
        let (b, i, e, me) = box()
        hearPeer(b, i, me: me, at: .zero)
        let moved = strangerMAC(2)
        let t = Instant(microseconds: 5_000_000)
        let rounds = b.statistics.locateRounds
        b.receive(frame: frame(.unidata, from: moved, source: peer, destination: me, act: 0, max: 3, to: myMAC),
                  on: i, now: t)
        let locates = drain(b).locates
        #expect(locates.count == 1)
        guard let probe = locates.first else { return }
        _ = b.unicast([1], from: e, to: peer, now: t)
        // A stranger guessing the id does not settle it.
        b.receive(frame: frame(.hereIs, from: strangerMAC(3), source: me, destination: peer, act: 0, max: 3,
                               messageID: probe.messageID &+ 1000,
                               data: HereIsTrailer(count: 1, trustedCount: 1).encoded(), to: myMAC),
                  on: i, now: t + .milliseconds(1))
        #expect(drain(b).data.isEmpty)
        b.receive(frame: hereIs(answering: probe, from: moved), on: i, now: t + .milliseconds(2))
        #expect(drain(b).data == [moved])
        #expect(b.statistics.locateRounds - rounds == 1)
        _ = b.unicast([2], from: e, to: peer, now: t + .milliseconds(3))
        #expect(drain(b).data == [moved])
    }

    /// Locating an address nobody routes: a stranger's HEREIS (wrong id)
    /// or data frame claiming it does not release the waiting message;
    /// the holder's HEREIS echoing our LOCATE does.
    @Test func onlyTheAnswerToOurLocateReleasesWaitingMessages() {
        let (b, i, e, me) = box()
        let t = Instant(microseconds: 1_000_000)
        _ = b.unicast([1], from: e, to: peer, now: t)
        let locates = drain(b).locates
        #expect(locates.count == 1)
        guard let locate = locates.first else { return }
        b.receive(frame: frame(.hereIs, from: strangerMAC(4), source: me, destination: peer, act: 0, max: 3,
                               messageID: locate.messageID &- 1,
                               data: HereIsTrailer(count: 1, trustedCount: 1).encoded(), to: myMAC),
                  on: i, now: t + .milliseconds(1))
        b.receive(frame: frame(.unidata, from: strangerMAC(5), source: peer, destination: me, act: 0, max: 3, to: myMAC),
                  on: i, now: t + .milliseconds(1))
        #expect(drain(b).data.isEmpty)
        b.receive(frame: hereIs(answering: locate, from: peerMAC), on: i, now: t + .milliseconds(2))
        #expect(drain(b).data == [peerMAC])
        #expect(b.routes.best(peer, budget: 25, now: t + .milliseconds(2))?.location == peerMAC)
    }

    /// A NOTHERE forged from the peer's MAC, then a stranger's claim: the
    /// stranger does not inherit the route; the next send locates.
    @Test func aForgedNotHereDoesNotHandTheRouteToAStranger() {
        let (b, i, e, me) = box()
        hearPeer(b, i, me: me, at: .zero)
        let t = Instant(microseconds: 1_000_000)
        b.receive(frame: frame(.notHere, from: peerMAC, source: me, destination: peer, act: 0, max: 3, to: myMAC),
                  on: i, now: t)
        b.receive(frame: frame(.unidata, from: strangerMAC(6), source: peer, destination: me, act: 0, max: 3,
                               to: myMAC), on: i, now: t)
        _ = b.takeEvents()
        _ = b.unicast([1], from: e, to: peer, now: t)
        let out = drain(b)
        #expect(out.data.isEmpty)
        #expect(out.locates.count == 1)
        guard let locate = out.locates.first else { return }
        b.receive(frame: hereIs(answering: locate, from: peerMAC), on: i, now: t + .milliseconds(1))
        #expect(drain(b).data == [peerMAC])
    }

    /// A peer that answered a probe is not pushed out of a small table by
    /// a flood of new addresses, so a stranger cannot claim it afresh.
    @Test func aFloodOfNewAddressesDoesNotEvictAProvenPeer() {
        let (b, i, e, me) = box { $0.maxRoutedAddresses = 64 }
        hearPeer(b, i, me: me, at: .zero)
        var t = Instant(microseconds: 1_000_000)
        b.receive(frame: frame(.unidata, from: strangerMAC(1), source: peer, destination: me, act: 0, max: 3, to: myMAC),
                  on: i, now: t)
        for l in drain(b).locates { b.receive(frame: hereIs(answering: l, from: peerMAC), on: i, now: t) }
        for n in 0..<500 {
            t = t + .milliseconds(1)
            b.receive(frame: frame(.unidata, from: strangerMAC(100 + n), source: FLIPAddress(bytes: [9, 3, UInt8(n >> 8), UInt8(n & 0xFF), 0, 0, 0, 0])!,
                                   destination: me, to: myMAC), on: i, now: t)
        }
        b.receive(frame: frame(.unidata, from: strangerMAC(2), source: peer, destination: me, act: 0, max: 3, to: myMAC),
                  on: i, now: t)
        _ = b.takeEvents()
        #expect(b.routedAddressCount <= 64)
        _ = b.unicast([1], from: e, to: peer, now: t)
        b.tick(now: t + .seconds(1))
        #expect(drain(b).data == [peerMAC])
    }

    /// A gateway cannot check the id of a HEREIS it relays: it takes one
    /// as proof only when it relayed the LOCATE it answers and the answer
    /// comes in on another interface.
    @Test func aGatewayTakesARelayedHereIsAsProofOnlyForALocateItRelayed() {
        let b = FLIPBox()
        let near = b.addInterface(mac: myMAC)
        let farMAC = EthernetAddress(bytes: [2, 0, 0, 0, 1, 1])!
        let far = b.addInterface(mac: farMAC)
        _ = b.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        let client = FLIPAddress(hex: "6161616161616100")!
        let clientMAC = EthernetAddress(bytes: [2, 0, 0, 0, 0, 3])!
        var t = Instant(microseconds: 1_000_000)
        // The gateway has heard the peer on the far side.
        b.receive(frame: frame(.unidata, from: peerMAC, source: peer, destination: client, act: 3, max: 25,
                               to: farMAC), on: far, now: t)
        let trailer = HereIsTrailer(count: 1, trustedCount: 1).encoded()
        // A HEREIS for the client's locate that the gateway never relayed.
        b.receive(frame: frame(.hereIs, from: strangerMAC(1), source: client, destination: peer, act: 0, max: 3,
                               messageID: 4242, data: trailer, to: farMAC), on: far, now: t)
        // The same id echoed on the side the LOCATE came from.
        b.receive(frame: frame(.locate, from: clientMAC, source: client, destination: peer, act: 3, max: 10,
                               messageID: 4343, data: []), on: near, now: t)
        b.receive(frame: frame(.hereIs, from: strangerMAC(2), source: client, destination: peer, act: 0, max: 3,
                               messageID: 4343, data: trailer, to: myMAC), on: near, now: t)
        _ = b.takeEvents()
        #expect(b.routes.best(peer, budget: 25, now: t)?.location == peerMAC)
        // The peer, moved behind a new MAC, answers the LOCATE it relayed.
        t = t + .milliseconds(1)
        let moved = strangerMAC(3)
        b.receive(frame: frame(.hereIs, from: moved, source: client, destination: peer, act: 0, max: 3,
                               messageID: 4343, data: trailer, to: farMAC), on: far, now: t)
        _ = b.takeEvents()
        #expect(b.routes.best(peer, budget: 25, now: t)?.location == moved)
    }

    /// 25,000 frames from as many MACs, all claiming the peer's address:
    /// the peer keeps a handful of routes, its own among them, in use.
    @Test func theRouteListPerAddressIsCapped() {
        let (b, i, e, me) = box()
        hearPeer(b, i, me: me, at: .zero)
        for n in 0..<25_000 {
            b.receive(frame: frame(.unidata, from: strangerMAC(n), source: peer, destination: me, act: 0, max: 3,
                                   messageID: UInt32(n), to: myMAC), on: i, now: Instant(microseconds: Int64(n + 1)))
        }
        #expect(drain(b).locates.count == 1, "one probe per address per interval")
        #expect((b.routes.routes[peer]?.count ?? 0) <= FLIPConfiguration().maxRoutesPerAddress)
        _ = b.unicast([1], from: e, to: peer, now: Instant(microseconds: 25_001))
        b.tick(now: Instant(microseconds: 1_000_000))
        #expect(drain(b).data == [peerMAC])
    }

    /// A full routing table met by thousands of LOCATEs from new sources:
    /// the table stays bounded and evicts in batches (a full scan per LOCATE
    /// is what made the flood cost 3 ms each).
    @Test func aLocateFloodOnAFullTableStaysBounded() {
        let (b, i, _, _) = box { $0.maxRoutedAddresses = 4096 }
        for n in 0..<10_000 {
            b.receive(frame: frame(.locate, from: strangerMAC(n), source: FLIPAddress(bytes: [9, 2, UInt8(n >> 8), UInt8(n & 0xFF), 0, 0, 0, 0])!,
                                   destination: FLIPAddress(hex: "7777777777777700")!, act: 0, max: 1,
                                   messageID: UInt32(n), data: []), on: i, now: Instant(microseconds: Int64(n)))
            #expect(b.routedAddressCount <= 4096)
        }
        _ = b.takeEvents()
    }
}

@Suite struct HostileReassemblyTests {
    /// Four 1 MiB messages held half-sent by a stranger (a fragment each,
    /// resent now and then) fill the reassembly budget; a real two-frame
    /// message arriving later still gets through, and the budget holds.
    @Test func stalledHugeMessagesGiveWayToARealOne() {
        var c = FLIPConfiguration()
        c.maxReassemblyBytes = 4 << 20
        let b = FLIPBox(configuration: c)
        let i = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let e = b.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        let me = b.address(of: e)!
        func fragment(from n: UInt8, id: UInt32, offset: UInt32, total: UInt32, count: Int, at t: Instant) {
            let h = FLIPHeader(type: .unidata, actualHops: 3, maximumHops: 3, destination: me,
                               source: FLIPAddress(bytes: [9, n, 0, 0, 0, 0, 0, 0])!, messageID: id,
                               length: UInt32(count), offset: offset, total: total)
            let f = EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [6, 0, 0, 0, 0, n])!,
                                  control: FragmentControl(type: .data), flip: h, data: [UInt8](repeating: n, count: count))
            b.receive(frame: f.encoded(), on: i, now: t)
        }
        var t = Instant(microseconds: 1_000_000)
        for round in 0..<5 {
            for n in UInt8(1)...4 { fragment(from: n, id: 1, offset: 0, total: 1 << 20, count: 1000, at: t) }
            t = t + .milliseconds(round == 4 ? 300 : 1500)
        }
        _ = b.takeEvents()
        fragment(from: 50, id: 7, offset: 0, total: 2000, count: 1000, at: t)
        fragment(from: 50, id: 7, offset: 1000, total: 2000, count: 1000, at: t + .milliseconds(1))
        let delivered = b.takeEvents().contains { if case .deliver(let d) = $0 { return d.message.count == 2000 } else { return false } }
        #expect(delivered, "a real message must not wait behind stalled ones")
    }
}
