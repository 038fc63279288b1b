// Finer points of the switch: gateways answering LOCATE from their table,
// route learning from MULTIDATA, and fragment boundaries.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet

@Suite struct RoutingDetailTests {
    @Test func gatewayAnswersFromItsTableWhenTheBudgetEndsThere() {
        let net = SimNetwork(seed: 41)
        let s1 = net.addSegment(), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        #expect(g.box.routeHops(to: b.address) == 3)
        // A newcomer next to G asks with a budget of one hop (3): G knows B
        // and answers for it, saying B is 3 + 3 away.
        let c = Host(net, "c", on: [s1], seed: 3)
        let hereIsFromB = b.node.box.statistics.hereIsSent
        _ = c.send(net, [2], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 2 }, limit: .seconds(1)))
        #expect(c.node.box.statistics.locateRounds == 1)
        #expect(c.node.box.routeHops(to: b.address) == 6)
        #expect(b.node.box.statistics.hereIsSent == hereIsFromB)
        #expect(g.box.statistics.hereIsSent >= 2)
    }

    @Test func invalidateFloodsLocate26AndRelearns() {
        let net = SimNetwork(seed: 44)
        let s1 = net.addSegment(), s2 = net.addSegment(), s3 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        let g1 = net.addNode(name: "g1", on: [s1, s2])
        let g2 = net.addNode(name: "g2", on: [s2, s3])
        let b = Host(net, "b", on: [s3], seed: 2)
        _ = a.send(net, [1], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        var budgets = [UInt16]()
        net.onTransmit = { _, _, bytes in
            if let h = flipFrame(bytes)?.flip, h.packetType == .locate { budgets.append(h.maximumHops) }
        }
        let invalidatedAtG1 = g1.box.statistics.routesInvalidated
        a.node.box.invalidate(b.address, from: a.endpoint, now: net.now)
        #expect(a.node.box.routeHops(to: b.address) == nil)
        net.flush(a.node)
        net.run(for: .milliseconds(100))
        // The flood crossed both gateways (each forgot B) and reached B,
        // whose HEREIS taught everyone the way again.
        #expect(budgets.count >= 3 && budgets.allSatisfy { $0 == 26 })
        #expect(g1.box.statistics.routesInvalidated > invalidatedAtG1)
        #expect(a.node.box.routeHops(to: b.address) == 9)
        #expect(g2.box.routeHops(to: b.address) == 3)
        _ = a.send(net, [2], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 2 }, limit: .seconds(1)))
    }

    @Test func multidataTeachesRoutesOnlyFromFirstFragments() {
        let box = FLIPBox()
        let i = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        _ = box.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        let src = FLIPAddress(hex: "0909090909090900")!
        func fragment(offset: UInt32, id: UInt32) -> [UInt8] {
            let h = FLIPHeader(type: .multidata, actualHops: 3, maximumHops: 3, destination: .null, source: src,
                               messageID: id, length: 2, offset: offset, total: 3000)
            return EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [2, 9, 9, 9, 9, 9])!,
                                 control: FragmentControl(type: .data), flip: h, data: [1, 2]).encoded()
        }
        box.receive(frame: fragment(offset: 1458, id: 1), on: i, now: .zero)
        #expect(box.routeHops(to: src) == nil)
        box.receive(frame: fragment(offset: 0, id: 2), on: i, now: .zero)
        #expect(box.routeHops(to: src) == 3)
    }

    /// Found by the flip_box fuzzer: a LOCATE carrying data was answered
    /// with a header counting that data but without it.
    @Test func locateWithDataIsAnsweredWithDataAndTrailer() throws {
        let box = FLIPBox()
        let i = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let e = box.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        let h = FLIPHeader(type: .locate, actualHops: 3, maximumHops: 3, destination: box.address(of: e)!,
                           source: FLIPAddress(hex: "0909090909090900")!, messageID: 4, length: 3, total: 3)
        let f = EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [2, 9, 9, 9, 9, 9])!,
                              control: FragmentControl(type: .data), flip: h, data: [7, 8, 9])
        box.receive(frame: f.encoded(), on: i, now: .zero)
        guard case .transmit(_, let bytes) = try #require(box.takeEvents().first) else {
            Issue.record("expected a HEREIS")
            return
        }
        let reply = try EthernetFrame.decode(bytes)
        #expect(reply.flip?.packetType == .hereIs)
        #expect(reply.flip?.length == 7 && reply.flip?.total == 7)
        #expect(reply.data == [7, 8, 9, 1, 0, 1, 0])
    }

    @Test func fragmentBoundaries() {
        let net = SimNetwork(seed: 42)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        let b = Host(net, "b", on: [s], seed: 2)
        _ = a.send(net, [0], to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        var frames = 0
        net.onTransmit = { node, _, bytes in
            if node === a.node, flipFrame(bytes)?.flip?.packetType == .unidata { frames += 1 }
        }
        for (size, expected) in [(0, 1), (1458, 1), (1459, 2), (2916, 2), (2917, 3)] {
            frames = 0
            let m = pattern(size, seed: UInt8(size % 251))
            let before = b.recorder.deliveries.count
            _ = a.send(net, m, to: b.address)
            #expect(net.run(until: { b.recorder.deliveries.count == before + 1 }, limit: .seconds(1)))
            #expect(frames == expected)
            #expect(b.recorder.deliveries.last.map { $0.message == m } == true)
        }
    }

    @Test func framesLargerThanOneFrameStayUnderTheEthernetMTU() {
        let net = SimNetwork(seed: 43)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1)
        let b = Host(net, "b", on: [s], seed: 2)
        var largest = 0
        net.onTransmit = { _, _, bytes in largest = max(largest, bytes.count) }
        _ = a.send(net, pattern(20_000), to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1)))
        #expect(largest == 14 + 1500)
    }
}
