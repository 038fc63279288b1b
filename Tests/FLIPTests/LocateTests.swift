// Locating, routing and forwarding on the simulated network: LOCATE across
// gateways, HEREIS, NOTHERE, give-up, hop limits, loops and route expiry.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet
import TestSupport

@Suite struct LocateTests {
    @Test func localDeliveryNeedsNoWire() {
        let net = SimNetwork(seed: 1)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        var g = SeededRandom(seed: 99)
        let other = a.node.box.register(privateAddress: .random(using: &g))
        let otherAddress = a.node.box.address(of: other)!
        _ = a.send(net, [1, 2, 3], to: otherAddress)
        #expect(a.recorder.deliveries.count == 1)
        #expect(a.recorder.deliveries.first?.endpoint == other)
        #expect(a.recorder.deliveries.first?.source == a.address)
        #expect(net.framesSent == 0)
    }

    @Test func locateAcrossTwoGateways() {
        let net = SimNetwork(seed: 2)
        let s1 = net.addSegment(), s2 = net.addSegment(), s3 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g1 = net.addNode(name: "g1", on: [s1, s2])
        let g2 = net.addNode(name: "g2", on: [s2, s3])
        let b = Host(net, "b", on: [s3], seed: 2)
        let message = pattern(100)
        _ = a.send(net, message, to: b.address)
        #expect(net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(2)))
        #expect(b.recorder.deliveries.first?.message == message)
        #expect(b.recorder.deliveries.first?.source == a.address)
        // Three Ethernet hops of weight 3 each.
        #expect(a.node.box.routeHops(to: b.address) == 9)
        #expect(a.node.box.statistics.hereIsReceived >= 1)
        #expect(g1.box.statistics.unidataForwarded >= 1)
        #expect(g2.box.statistics.unidataForwarded >= 1)
        #expect(g1.box.statistics.broadcastsForwarded >= 1)
        // The reply needs no locate: B learned the way back from the data.
        let locatesBefore = b.node.box.statistics.locatesSent
        _ = b.send(net, [9], to: a.address)
        #expect(net.run(until: { !a.recorder.deliveries.isEmpty }, limit: .seconds(1)))
        #expect(b.node.box.statistics.locatesSent == locatesBefore)
        #expect(b.node.box.routeHops(to: a.address) == 9)
    }

    @Test func hereIsAnswersTheLocateWithTrailer() throws {
        let net = SimNetwork(seed: 3)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        let b = Host(net, "b", on: [s], seed: 2)
        var locate: EthernetFrame?
        var hereIs: EthernetFrame?
        net.onTransmit = { node, _, bytes in
            guard let f = flipFrame(bytes), let h = f.flip else { return }
            if h.packetType == .locate && node === a.node { locate = f }
            if h.packetType == .hereIs && node === b.node { hereIs = f }
        }
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(1)))
        let l = try #require(locate), hi = try #require(hereIs)
        #expect(l.destination == .broadcast)
        #expect(l.flip!.destination == b.address && l.flip!.source == a.address)
        #expect(l.flip!.length == 0)
        // HEREIS keeps dst and src as they were, goes back to the locater's
        // MAC, and carries the 4-byte count trailer.
        #expect(hi.destination == l.source)
        #expect(hi.flip!.destination == b.address && hi.flip!.source == a.address)
        #expect(hi.flip!.messageID == l.flip!.messageID)
        #expect(hi.flip!.length == 4 && hi.flip!.total == 4)
        #expect(hi.flip!.maximumHops == l.flip!.actualHops)
        #expect(hi.flip!.actualHops == 0)
        #expect(try HereIsTrailer.decode(hi.data, order: hi.order) == HereIsTrailer(count: 1, trustedCount: 1))
    }

    @Test func notHereAfterUnregisterInvalidatesRoute() {
        let net = SimNetwork(seed: 4)
        let s1 = net.addSegment(), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        #expect(a.node.box.routeHops(to: b.address) == 6)
        b.node.box.unregister(b.endpoint)
        let id = a.send(net, pattern(5000), to: b.address)   // several fragments
        #expect(net.run(until: { !a.recorder.failures.isEmpty }, limit: .seconds(1)))
        net.run(for: .milliseconds(100))
        #expect(a.recorder.failures.count == 1)   // once per message, not per fragment
        let f = a.recorder.failures[0]
        #expect(f.reason == .notHere && f.messageID == id && f.destination == b.address && f.endpoint == a.endpoint)
        #expect(a.node.box.routeHops(to: b.address) == nil)
        #expect(g.box.routeHops(to: b.address) == nil)
        #expect(b.node.box.statistics.notHereSent >= 1)
        #expect(b.recorder.deliveries.count == 1)
    }

    @Test func unreachableAfterLocateTimeout() {
        let net = SimNetwork(seed: 5)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        _ = Host(net, "b", on: [s], seed: 2)
        var hops = [UInt16]()
        net.onTransmit = { _, _, bytes in
            if let h = flipFrame(bytes)?.flip, h.packetType == .locate { hops.append(h.maximumHops) }
        }
        var g = SeededRandom(seed: 77)
        let nowhere = FLIPAddress.random(using: &g).publicAddress
        let id = a.send(net, [1, 2], to: nowhere)
        #expect(net.run(until: { !a.recorder.failures.isEmpty }, limit: .seconds(10)))
        let f = a.recorder.failures[0]
        #expect(f.reason == .unreachable && f.messageID == id)
        // Configured default: about three seconds of virtual time.
        #expect(f.at.microseconds >= 2_900_000 && f.at.microseconds <= 3_200_000)
        // The hop budget grows round by round up to the maximum.
        #expect(hops.count > 5)
        #expect(hops == hops.sorted())
        #expect(hops.first == 3 && hops.last == 25)
        #expect(a.node.box.nextDeadline == nil)
    }

    @Test func hopLimitIsRespected() {
        let net = SimNetwork(seed: 6)
        let s1 = net.addSegment(), s2 = net.addSegment(), s3 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g1 = Host(net, "g1", on: [s1, s2], seed: 2)
        let g2 = Host(net, "g2", on: [s2, s3], seed: 3)
        let b = Host(net, "b", on: [s3], seed: 4)
        // B is 9 away: a budget of 6 reaches g2 (6 away) but never B.
        a.node.box.multicast([7], from: a.endpoint, to: .null, maxHop: 6, now: net.now)
        net.flush(a.node)
        net.run(for: .seconds(1))
        #expect(g1.recorder.deliveries.count == 1)
        #expect(g2.recorder.deliveries.count == 1)
        #expect(b.recorder.deliveries.isEmpty)
        a.node.box.multicast([8], from: a.endpoint, to: .null, maxHop: 9, now: net.now)
        net.flush(a.node)
        net.run(for: .seconds(1))
        #expect(b.recorder.deliveries.map(\.message) == [[8]])
        #expect(b.recorder.deliveries.first?.isMulticast == true)
        // A frame whose hop count already exceeds its maximum is dropped.
        var h = FLIPHeader(type: .unidata, actualHops: 7, maximumHops: 6, destination: b.address,
                           source: a.address, messageID: 1, length: 1, total: 1)
        var frame = EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [2, 9, 9, 9, 9, 9])!,
                                  control: FragmentControl(type: .data), flip: h, data: [1])
        b.node.box.receive(frame: frame.encoded(), on: b.node.interfaces[0], now: net.now)
        // And so is data whose maximum is above 25.
        h.actualHops = 3
        h.maximumHops = 26
        frame.flip = h
        b.node.box.receive(frame: frame.encoded(), on: b.node.interfaces[0], now: net.now)
        #expect(b.node.box.statistics.dropped(.hopLimit) == 2)
        #expect(b.node.box.takeEvents().isEmpty)
    }

    @Test func broadcastLoopDoesNotStorm() {
        let net = SimNetwork(seed: 7)
        let s1 = net.addSegment(), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        // Two gateways join the same two segments: a loop.
        let g1 = net.addNode(name: "g1", on: [s1, s2])
        let g2 = net.addNode(name: "g2", on: [s1, s2])
        let c = Host(net, "c", on: [s2], seed: 3)
        var g = SeededRandom(seed: 5)
        let nowhere = FLIPAddress.random(using: &g).publicAddress
        _ = a.send(net, [1], to: nowhere)
        #expect(net.run(until: { !a.recorder.failures.isEmpty }, limit: .seconds(10)))
        let rounds = a.node.box.statistics.locateRounds
        // Each round: A's frame, and each gateway forwards it once onto s2;
        // the copies that come back around are recognised and dropped.
        #expect(net.framesSent <= rounds * 3)
        #expect(g1.box.statistics.dropped(.duplicateBroadcast) + g2.box.statistics.dropped(.duplicateBroadcast) > 0)
        // A broadcast MULTIDATA reaches C exactly once despite two paths.
        a.node.box.multicast([42], from: a.endpoint, to: .null, maxHop: 25, now: net.now)
        net.flush(a.node)
        net.run(for: .seconds(1))
        #expect(c.recorder.deliveries.map(\.message) == [[42]])
    }

    @Test func routesExpireAndLocate26Invalidates() {
        var config = FLIPConfiguration()
        config.routeLifetime = .seconds(1)
        let net = SimNetwork(seed: 8)
        let s1 = net.addSegment(), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1, configuration: config)
        let g = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        #expect(a.node.box.routeHops(to: b.address) != nil)
        net.run(for: .seconds(2))
        a.node.box.tick(now: net.now)
        #expect(a.node.box.routeHops(to: b.address) == nil)
        // Without a route, the next message locates again and still arrives.
        let before = a.node.box.statistics.locatesSent
        _ = a.send(net, [2], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 2 }, limit: .seconds(1)))
        #expect(a.node.box.statistics.locatesSent > before)
        // A LOCATE with a budget beyond the maximum (26) wipes G's route.
        #expect(g.box.routeHops(to: b.address) != nil)
        var h = FLIPHeader(type: .locate, actualHops: 3, maximumHops: 26, destination: b.address,
                           source: FLIPAddress(hex: "0101010101010100")!, messageID: 777, length: 0, total: 0)
        h.flags = [.unsafe]
        let frame = EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [2, 7, 7, 7, 7, 7])!,
                                  control: FragmentControl(type: .data), flip: h)
        g.box.receive(frame: frame.encoded(), on: g.interfaces[0], now: net.now)
        #expect(g.box.routeHops(to: b.address) == nil)
    }

    @Test func bigEndianPacketsAreUnderstood() throws {
        let net = SimNetwork(seed: 9)
        let s = net.addSegment()
        let b = Host(net, "b", on: [s], seed: 2)
        let peerMAC = EthernetAddress(bytes: [2, 5, 5, 5, 5, 5])!
        let src = FLIPAddress(hex: "0a0b0c0d0e0f1000")!
        let h = FLIPHeader(type: .locate, actualHops: 3, maximumHops: 3, destination: b.address, source: src,
                           messageID: 0x01020304, length: 0, total: 0)
        let frame = EthernetFrame(destination: .broadcast, source: peerMAC, control: FragmentControl(type: .data),
                                  flip: h, order: .big)
        b.node.box.receive(frame: frame.encoded(), on: b.node.interfaces[0], now: net.now)
        let out = b.node.box.takeEvents()
        guard case .transmit(_, let bytes) = try #require(out.first) else {
            Issue.record("expected a HEREIS")
            return
        }
        let reply = try EthernetFrame.decode(bytes)
        #expect(reply.flip?.packetType == .hereIs)
        #expect(reply.flip?.messageID == 0x01020304)
        #expect(reply.order == .little)
        #expect(reply.destination == peerMAC)
        // Big-endian data is delivered too.
        let d = FLIPHeader(type: .unidata, actualHops: 3, maximumHops: 3, destination: b.address, source: src,
                           messageID: 5, length: 2, total: 2)
        let df = EthernetFrame(destination: b.node.box.interfaceMAC(b.node.interfaces[0])!, source: peerMAC,
                               control: FragmentControl(type: .data), flip: d, order: .big, data: [4, 2])
        b.node.box.receive(frame: df.encoded(), on: b.node.interfaces[0], now: net.now)
        net.flush(b.node)
        #expect(b.recorder.deliveries.map(\.message) == [[4, 2]])
    }

    @Test func unicastFramesForOtherMACsAreIgnored() {
        let net = SimNetwork(seed: 10)
        let s = net.addSegment()
        let b = Host(net, "b", on: [s], seed: 2)
        let d = FLIPHeader(type: .unidata, actualHops: 3, maximumHops: 3, destination: b.address,
                           source: FLIPAddress(hex: "0a0b0c0d0e0f1000")!, messageID: 5, length: 1, total: 1)
        let f = EthernetFrame(destination: EthernetAddress(bytes: [2, 1, 1, 1, 1, 1])!,
                              source: EthernetAddress(bytes: [2, 5, 5, 5, 5, 5])!,
                              control: FragmentControl(type: .data), flip: d, data: [1])
        b.node.box.receive(frame: f.encoded(), on: b.node.interfaces[0], now: net.now)
        net.flush(b.node)
        #expect(b.recorder.deliveries.isEmpty)
        #expect(b.node.box.statistics.dropped(.notForUs) == 1)
    }

    @Test func groupMulticastReachesMembersOnly() {
        let net = SimNetwork(seed: 11)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        let m = Host(net, "m", on: [s], seed: 2)
        let n = Host(net, "n", on: [s], seed: 3)
        let group = FLIPAddress(hex: "6162636465666700")!
        m.node.box.join(m.endpoint, group: group)
        var macs = [EthernetAddress]()
        net.onTransmit = { _, _, bytes in if let f = flipFrame(bytes) { macs.append(f.destination) } }
        a.node.box.multicast(pattern(4000), from: a.endpoint, to: group, maxHop: 3, now: net.now)
        net.flush(a.node)
        net.run(for: .seconds(1))
        #expect(m.recorder.deliveries.map(\.message) == [pattern(4000)])
        #expect(m.recorder.deliveries.first?.destination == group)
        #expect(n.recorder.deliveries.isEmpty)
        #expect(macs.allSatisfy { $0 == .multicast(for: group) })
    }

    @Test func securityFlagGetsUntrustedBack() throws {
        let net = SimNetwork(seed: 12)
        let s1 = net.addSegment(trusted: true), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        // G only knows B over the untrusted segment: a secure packet comes
        // back as UNTRUSTED with the UNREACHABLE flag.
        let h = FLIPHeader(type: .unidata, flags: [.security], actualHops: 3, maximumHops: 6,
                           destination: b.address, source: a.address, messageID: 99, length: 1, total: 1)
        let f = EthernetFrame(destination: g.box.interfaceMAC(g.interfaces[0])!,
                              source: a.node.box.interfaceMAC(a.node.interfaces[0])!,
                              control: FragmentControl(type: .data), flip: h, data: [5])
        g.box.receive(frame: f.encoded(), on: g.interfaces[0], now: net.now)
        let out = g.box.takeEvents()
        guard case .transmit(let i, let bytes) = try #require(out.first) else {
            Issue.record("expected UNTRUSTED")
            return
        }
        let back = try EthernetFrame.decode(bytes)
        #expect(i == g.interfaces[0])
        #expect(back.flip?.packetType == .untrusted)
        #expect(back.flip?.flags.contains(.unreachable) == true)
        #expect(back.flip?.destination == b.address && back.flip?.source == a.address)
        // A secure send from A learns the route is not trusted end to end.
        let id = a.node.box.unicast([1], from: a.endpoint, to: b.address, secure: true, now: net.now)
        net.flush(a.node)
        #expect(a.recorder.failures.contains { $0.messageID == id && $0.reason == .unreachable })
    }
}
