// Large messages: fragmentation, reassembly under faults, credit flow
// control on both sides, and robustness against damaged frames.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet
import TestSupport

@Suite struct TransferTests {
    /// Two hosts on one segment (optionally via a gateway) that already
    /// know each other, so later traffic needs no locate.
    func pair(seed: UInt64, viaGateway: Bool = false,
              configuration: FLIPConfiguration = .init()) -> (SimNetwork, Host, Host, [SegmentID]) {
        let net = SimNetwork(seed: seed)
        let s1 = net.addSegment()
        var segments = [s1]
        let a = Host(net, "a", on: [s1], seed: 1, configuration: configuration)
        let b: Host
        if viaGateway {
            let s2 = net.addSegment()
            segments.append(s2)
            _ = net.addNode(name: "g", on: [s1, s2])
            b = Host(net, "b", on: [s2], seed: 2, configuration: configuration)
        } else {
            b = Host(net, "b", on: [s1], seed: 2, configuration: configuration)
        }
        _ = a.send(net, [0], to: b.address)
        _ = net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(1))
        b.recorder.deliveries.removeAll()
        return (net, a, b, segments)
    }

    @Test func hundredKilobytesArriveWhole() {
        let (net, a, b, _) = pair(seed: 21, viaGateway: true)
        let message = pattern(100_000, seed: 3)
        var dataFrames = 0
        net.onTransmit = { node, _, bytes in
            if node === a.node, flipFrame(bytes)?.flip?.packetType == .unidata { dataFrames += 1 }
        }
        _ = a.send(net, message, to: b.address)
        #expect(net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(5)))
        #expect(b.recorder.deliveries.count == 1)
        #expect(b.recorder.deliveries.first.map { $0.message == message } == true)
        #expect(dataFrames == (100_000 + 1457) / 1458)
        #expect(b.node.box.pendingReassemblies == 0)
    }

    @Test func reorderedAndDuplicatedFragmentsStillReassemble() {
        let (net, a, b, segments) = pair(seed: 22)
        net.setFaults(FaultProfile(duplicate: 0.2, reorder: 0.3, delay: 0.3, maxDelay: .milliseconds(3)),
                      on: segments[0])
        let message = pattern(100_000, seed: 4)
        _ = a.send(net, message, to: b.address)
        #expect(net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(10)))
        net.run(for: .seconds(5))
        #expect(b.recorder.deliveries.count == 1)
        #expect(b.recorder.deliveries.first.map { $0.message == message } == true)
        #expect(net.framesDuplicated > 0 && net.framesReordered > 0)
        // Late duplicates may start a reassembly that can never finish; it is freed.
        #expect(b.node.box.pendingReassemblies == 0)
    }

    @Test func lossNeverDeliversPartialMessagesAndFreesState() {
        let (net, a, b, segments) = pair(seed: 23)
        net.setFaults(FaultProfile(drop: 0.2, duplicate: 0.1, reorder: 0.2, maxDelay: .milliseconds(2)),
                      on: segments[0])
        var sent = Set<[UInt8]>()
        for k in 0..<5 {
            let m = pattern(100_000, seed: UInt8(10 + k))
            sent.insert(m)
            _ = a.send(net, m, to: b.address)
            net.run(for: .seconds(3))
        }
        net.run(for: .seconds(30))
        // Whatever got through is exactly one of the messages sent.
        #expect(b.recorder.deliveries.allSatisfy { sent.contains($0.message) })
        #expect(net.framesDropped > 0)
        #expect(b.node.box.pendingReassemblies == 0)
        #expect(b.node.box.statistics.dropped(.reassemblyTimeout) > 0)
        #expect(b.node.box.nextDeadline == nil)
    }

    @Test func withheldCreditStallsTheSenderAndGrantingResumes() {
        // The receiver keeps half a message long enough to outlast the stall.
        var patient = FLIPConfiguration()
        patient.reassemblyTimeout = .seconds(10)
        patient.creditRequestInterval = .seconds(2)   // Amoeba's pace: five asks outlast the test's stall
        let (net, a, b, _) = pair(seed: 24, configuration: patient)
        var dataFrames = 0, creditRequests = 0
        net.onTransmit = { node, _, bytes in
            guard node === a.node, let f = flipFrame(bytes) else { return }
            if f.flip?.packetType == .unidata { dataFrames += 1 }
            if f.control.type == .requestCredit { creditRequests += 1 }
        }
        b.node.box.isWithholdingCredit = true
        let message = pattern(30_000, seed: 5)   // 21 frames
        _ = a.send(net, message, to: b.address)
        net.run(for: .seconds(1))
        #expect(dataFrames == 8)
        #expect(b.recorder.deliveries.isEmpty)
        // The stalled sender asks; the withholding receiver grants nothing.
        net.run(for: .seconds(2))
        #expect(creditRequests >= 1)
        #expect(dataFrames == 8)
        b.node.box.isWithholdingCredit = false
        net.flush(b.node)
        let resumed = net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(3))
        #expect(resumed, "a: \(a.node.box.statistics) b: \(b.node.box.statistics) frames \(dataFrames)")
        #expect(dataFrames == 21)
        #expect(b.recorder.deliveries.first.map { $0.message == message } == true)
        #expect(b.node.box.statistics.creditFramesSent > 0)
    }

    @Test func aDeadPeerIsGivenUpAfterUnansweredCreditRequests() {
        let (net, a, b, _) = pair(seed: 28)
        net.kill(b.node)
        _ = a.send(net, pattern(30_000, seed: 7), to: b.address)
        net.run(for: .seconds(1))
        #expect(a.node.box.statistics.framesStalled == 13)
        #expect(a.node.box.nextDeadline != nil)
        net.run(for: .seconds(10))
        let s = a.node.box.statistics
        #expect(s.creditRequestsSent == a.node.box.configuration.maxCreditRequests)
        #expect(s.dropped(.creditTimeout) == 13)
        #expect(a.node.box.nextDeadline == nil)
    }

    @Test func creditFlowsThroughAGatewayOnBothLinks() {
        let (net, a, b, _) = pair(seed: 25, viaGateway: true)
        var creditFrames = 0
        net.onTransmit = { _, _, bytes in
            if let f = flipFrame(bytes), f.control.type == .credit { creditFrames += 1 }
        }
        let message = pattern(60_000, seed: 6)
        _ = a.send(net, message, to: b.address)
        #expect(net.run(until: { !b.recorder.deliveries.isEmpty }, limit: .seconds(5)))
        #expect(b.recorder.deliveries.first.map { $0.message == message } == true)
        #expect(creditFrames >= 2 * ((60_000 / 1458 - 8) / 4))
    }

    @Test func truncatedFramesNeverDeliverGarbage() {
        let (net, a, b, segments) = pair(seed: 26)
        net.setFaults(FaultProfile(truncate: 0.2), on: segments[0])
        var sent = Set<[UInt8]>()
        for k in 0..<20 {
            let m = pattern(k % 2 == 0 ? 700 : 9_000, seed: UInt8(k))
            sent.insert(m)
            _ = a.send(net, m, to: b.address)
            net.run(for: .milliseconds(200))
        }
        net.run(for: .seconds(20))
        #expect(net.framesTruncated > 0)
        #expect(!b.recorder.deliveries.isEmpty)
        #expect(b.recorder.deliveries.allSatisfy { sent.contains($0.message) })
        #expect(b.node.box.statistics.dropped(.malformed) > 0)
    }

    @Test func corruptedFramesDoNotTrapAnything() {
        let (net, a, b, segments) = pair(seed: 27, viaGateway: true)
        let bad = FaultProfile(drop: 0.05, duplicate: 0.1, reorder: 0.1, corrupt: 0.5, truncate: 0.1, delay: 0.1)
        for s in segments { net.setFaults(bad, on: s) }
        for k in 0..<30 {
            _ = a.send(net, pattern(k * 997 % 20_000, seed: UInt8(k)), to: b.address)
            _ = b.send(net, pattern(k * 331 % 5_000, seed: UInt8(k)), to: a.address)
            a.node.box.multicast(pattern(k * 13), from: a.endpoint, to: .null, maxHop: 25, now: net.now)
            net.flush(a.node)
            net.run(for: .milliseconds(300))
        }
        net.run(for: .seconds(30))
        #expect(net.framesCorrupted > 0)
        // Nothing is left dangling once the network goes quiet.
        #expect(b.node.box.pendingReassemblies == 0)
    }

    @Test func randomFramesAreCountedAndDropped() {
        let box = FLIPBox()
        let i0 = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let i1 = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        var g = SeededRandom(seed: 31)
        let e = box.register(privateAddress: .random(using: &g))
        let mine = box.address(of: e)!
        // Valid-looking frames with random fields, mutated at random.
        var now = Instant.zero
        for n in 0..<20_000 {
            var bytes: [UInt8]
            if n % 3 == 0 {
                bytes = (0..<Int(g.next() % 120)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            } else {
                let type = UInt8(g.next() % 8)
                var h = FLIPHeader(type: .unidata, actualHops: UInt16(g.next() % 30), maximumHops: UInt16(g.next() % 30),
                                   destination: g.next() % 2 == 0 ? mine : FLIPAddress(bytes: [1, 2, 3, 4, 5, 6, 7, UInt8(g.next() % 2)])!,
                                   source: FLIPAddress(bytes: [9, 9, 9, 9, 9, UInt8(g.next() % 4), 0, 0])!,
                                   messageID: UInt32(g.next() % 5), length: UInt32(g.next() % 40),
                                   offset: UInt32(g.next() % 3000), total: UInt32(g.next() % 4000))
                h.type = type
                h.flags = FLIPFlags(rawValue: UInt8(truncatingIfNeeded: g.next()))
                let control = FragmentControl(type: FragmentControlType(rawValue: UInt8(g.next() % 7))!,
                                              count: UInt8(truncatingIfNeeded: g.next()))
                let dst: EthernetAddress = g.next() % 2 == 0 ? .broadcast : EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
                let f = EthernetFrame(destination: dst, source: EthernetAddress(bytes: [2, 1, 1, 1, 1, UInt8(g.next() % 3)])!,
                                      control: control, flip: h, order: g.next() % 2 == 0 ? .little : .big,
                                      data: (0..<Int(h.length)).map { _ in UInt8(truncatingIfNeeded: g.next()) })
                bytes = f.encoded()
                if g.next() % 4 == 0, !bytes.isEmpty { bytes[Int(g.next() % UInt64(bytes.count))] ^= 0xFF }
                if g.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(g.next() % UInt64(bytes.count + 1)))) }
            }
            box.receive(frame: bytes, on: g.next() % 2 == 0 ? i0 : i1, now: now)
            if n % 50 == 0 {
                now = now + .milliseconds(Int64(g.next() % 500))
                box.tick(now: now)
            }
            for ev in box.takeEvents() {
                if case .deliver(let d) = ev { #expect(d.endpoint == e) }
            }
        }
        box.receive(frame: [1, 2, 3], on: InterfaceID(rawValue: 7), now: now)
        #expect(box.statistics.framesIn == 20_001)
        #expect(box.statistics.dropped(.unknownInterface) == 1)
        #expect(box.statistics.dropped(.malformed) > 0)
        #expect(box.statistics.totalDropped > 1000)
        box.tick(now: now + .seconds(100))
        #expect(box.pendingReassemblies == 0)
    }
}
