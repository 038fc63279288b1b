// Issue 10, items 2, 4 and 8: frames from a stranger on the segment (any
// source MAC, any claimed FLIP address) must not lock the flow-control
// table, black-hole a live peer or grow a route list without bound.

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
        #expect(sentTo(b) == [peerMAC])
    }

    /// The same HEREIS for a peer that has fallen silent: the alternative
    /// is taken (a route must be able to move), which is why the incumbent
    /// is kept only while it answers.
    @Test func aSilentPeersRouteCanMove() {
        let (b, i, e, me) = box { $0.routeAnswerWindow = .seconds(10) }
        hearPeer(b, i, me: me, at: .zero)
        let moved = strangerMAC(2)
        let t = Instant(microseconds: 20_000_000)
        b.receive(frame: frame(.hereIs, from: moved, source: me, destination: peer, act: 0, max: 3,
                               data: HereIsTrailer(count: 1, trustedCount: 1).encoded(), to: myMAC), on: i, now: t)
        _ = b.takeEvents()
        _ = b.unicast([1], from: e, to: peer, now: t)
        #expect(sentTo(b) == [moved])
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
        _ = b.takeEvents()
        #expect((b.routes.routes[peer]?.count ?? 0) <= FLIPConfiguration().maxRoutesPerAddress)
        _ = b.unicast([1], from: e, to: peer, now: Instant(microseconds: 25_001))
        #expect(sentTo(b) == [peerMAC])
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
