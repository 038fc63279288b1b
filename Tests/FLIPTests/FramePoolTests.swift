// Frames handed back to the box (FramePool.swift) carry its next
// fragments: the storage of a frame handed back is that of the next
// fragment built, the frames on the wire are byte for byte those a box
// that is never handed anything sends, and storage someone else still
// holds is never written to.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct FramePoolTests {

    /// Two boxes on one wire that have found each other.
    func pair() -> (a: FLIPBox, from: EndpointID, b: FLIPBox, to: FLIPAddress, now: Instant) {
        let a = FLIPBox(), b = FLIPBox()
        _ = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        _ = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 0x1111_2222))
        let to = b.address(of: b.register(privateAddress: FLIPAddress(littleEndianBits: 0x3333_4444)))!
        a.unicast([1], from: from, to: to, now: .zero)
        let (_, _, now) = runWire(a, b, now: .zero, recycle: false)
        return (a, from, b, to, now)
    }

    func message(_ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ $0 >> 8) } }

    static func address(_ a: [UInt8]) -> UInt? { a.withUnsafeBufferPointer { $0.baseAddress.map { UInt(bitPattern: $0) } } }

    /// A frame handed back is the storage the next fragment is built in,
    /// whatever it held before.
    @Test func aFrameHandedBackCarriesTheNextFragment() {
        let (a, from, b, to, now) = pair()
        let spare = [UInt8](repeating: 0xEE, count: EthernetFrame.maxData + FLIPBox.headroom)
        let storage = Self.address(spare)
        a.recycle(frame: consume spare)
        #expect(a.spareFrameCount == 1)
        let m = message(3 * EthernetFrame.maxData + 100)
        a.unicast(m, from: from, to: to, now: now)
        let first = a.takeEvents().compactMap { e -> [UInt8]? in
            if case .transmit(_, let f) = e { return f } else { return nil }
        }.first!
        #expect(Self.address(first) == storage)
        #expect(a.spareFrameCount == 0)
        // The frame is the one a box without spares builds.
        let (c, cFrom, _, cTo, cNow) = pair()
        c.unicast(m, from: cFrom, to: cTo, now: cNow)
        let fresh = c.takeEvents().compactMap { e -> [UInt8]? in
            if case .transmit(_, let f) = e { return f } else { return nil }
        }.first!
        #expect(first == fresh)
        _ = b
    }

    /// A frame handed back while someone else still holds it is never
    /// written to: the holder's bytes stay as they were, and the fragment
    /// is built in storage of its own.
    @Test func aFrameStillHeldIsNeverWrittenTo() {
        let (a, from, b, to, now) = pair()
        let held = [UInt8](repeating: 0xAB, count: EthernetFrame.maxData + FLIPBox.headroom)
        a.recycle(frame: held)
        let m = message(4 * EthernetFrame.maxData)
        a.unicast(m, from: from, to: to, now: now)
        let (sent, delivered, _) = runWire(a, b, now: now, recycle: true)
        #expect(held.allSatisfy { $0 == 0xAB })
        #expect(sent.allSatisfy { Self.address($0) != Self.address(held) })
        #expect(delivered == [m])
    }

    /// Handing every frame back changes nothing on the wire: each message
    /// goes out in the same frames, and arrives whole.
    @Test func recyclingChangesNothingOnTheWire() {
        let messages = [message(10_000), message(30_000), message(1_000), message(2 * EthernetFrame.maxData + 1)]
        var wires: [[[UInt8]]] = [], received: [[[UInt8]]] = []
        for recycle in [false, true] {
            var (a, from, b, to, now) = pair()
            var wire: [[UInt8]] = [], got: [[UInt8]] = []
            for m in messages {
                a.unicast(m, from: from, to: to, now: now)
                let (sent, delivered, later) = runWire(a, b, now: now, recycle: recycle)
                wire += sent
                got += delivered
                now = later
                if recycle { #expect(a.spareFrameCount > 0) }
            }
            _ = (a, b, from, to)
            wires.append(wire)
            received.append(got)
        }
        #expect(wires[0] == wires[1])
        #expect(received[0] == messages)
        #expect(received[1] == messages)
    }

    /// A 30000-byte message, the largest an RPC request or reply carries,
    /// goes out whole in a Linux host's window (its credit grant): once its
    /// frames are handed back, the next such message is built entirely in
    /// them. A pool smaller than its 21 fragments made the rest allocate,
    /// message after message.
    @Test func theLargestMessageIsBuiltInSpareFramesAlone() {
        var configuration = FLIPConfiguration()
        configuration.creditGrant = 112
        let a = FLIPBox(configuration: configuration), b = FLIPBox(configuration: configuration)
        _ = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        _ = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 0x1111_2222))
        let to = b.address(of: b.register(privateAddress: FLIPAddress(littleEndianBits: 0x3333_4444)))!
        // Found first, as `pair` does: the message's frames are then all
        // its fragments.
        a.unicast([1], from: from, to: to, now: .zero)
        var now = runWire(a, b, now: .zero).now
        let m = message(30_000)
        var kept: [Int] = []
        for _ in 0..<3 {
            a.unicast(m, from: from, to: to, now: now)
            let (sent, delivered, later) = runWire(a, b, now: now, recycle: true)
            #expect(delivered == [m])
            #expect(sent.count == 21)
            kept.append(a.spareFrameCount)
            now = later
        }
        // Every fragment of the last message came back to the pool.
        #expect(kept.last! >= 21)
    }

    /// Only frames that can carry any fragment are kept, and only a few.
    @Test func thePoolIsBounded() {
        let a = FLIPBox()
        a.recycle(frame: [UInt8](repeating: 0, count: 60))
        #expect(a.spareFrameCount == 0)
        for _ in 0..<(FramePool.limit + 10) {
            a.recycle(frame: [UInt8](repeating: 0, count: EthernetFrame.maxData + FLIPBox.headroom))
        }
        #expect(a.spareFrameCount == FramePool.limit)
    }
}
