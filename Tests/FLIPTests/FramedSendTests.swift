// Messages built with headroom go out in their own buffer, and arriving
// messages are handed up as views of their frame: the bytes on the wire
// must be exactly those the copying path makes, and a buffer the sender
// keeps (to resend) must never change a frame already handed out.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct FramedSendTests {
    /// Two boxes on one wire that have found each other.
    func pair() -> (a: FLIPBox, from: EndpointID, b: FLIPBox, to: FLIPAddress, now: Instant) {
        let a = FLIPBox(), b = FLIPBox()
        let ia = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let ib = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 0x1111_2222))
        let eb = b.register(privateAddress: FLIPAddress(littleEndianBits: 0x3333_4444))
        let to = b.address(of: eb)!
        var now = Instant.zero
        a.unicast([1], from: from, to: to, now: now)
        for _ in 0..<10 {
            now = now + .milliseconds(1)
            for case .transmit(_, let f) in a.takeEvents() { b.receive(frame: f, on: ib, now: now) }
            for case .transmit(_, let f) in b.takeEvents() { a.receive(frame: f, on: ia, now: now) }
        }
        _ = b.takeEvents()
        return (a, from, b, to, now)
    }

    func frames(_ events: [FLIPEvent]) -> [[UInt8]] {
        events.compactMap { if case .transmit(_, let f) = $0 { f } else { nil } }
    }

    /// The message id sits at offset 24 of the FLIP header, after the
    /// 14-byte Ethernet header and the two control bytes.
    func messageID(_ frame: [UInt8]) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(frame[40 + $1]) << (8 * $1) }
    }

    @Test(arguments: [0, 1, 100, 1458])
    func framedGoesOutAsTheCopyingPathBuildsIt(size: Int) {
        let (a, from, _, to, now) = pair()
        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let first = a.unicast(message, from: from, to: to, now: now)
        var framed = [UInt8](repeating: 0xEE, count: FLIPBox.headroom) + message
        let second = a.unicast(framed: &framed, from: from, to: to, now: now)
        let out = frames(a.takeEvents())
        #expect(out.count == 2)
        guard out.count == 2 else { return }
        #expect(messageID(out[0]) == first && messageID(out[1]) == second)
        var expected = out[0]
        for k in 0..<4 { expected[40 + k] = UInt8(truncatingIfNeeded: second >> (8 * UInt32(k))) }
        #expect(out[1] == expected)
        #expect(out[1].count >= EthernetFrame.minimumSize)
    }

    @Test func aFrameHandedOutIsNotChangedBySendingTheBufferAgain() {
        let (a, from, _, to, now) = pair()
        var framed = [UInt8](repeating: 0, count: FLIPBox.headroom) + [9, 8, 7]
        let first = a.unicast(framed: &framed, from: from, to: to, now: now)
        let kept = frames(a.takeEvents())
        let second = a.unicast(framed: &framed, from: from, to: to, now: now)
        let again = frames(a.takeEvents())
        #expect(kept.count == 1 && again.count == 1)
        #expect(kept.first.map(messageID) == first)
        #expect(again.first.map(messageID) == second)
        #expect(first != second)
    }

    @Test func aMessageInOneFrameIsDeliveredAsAViewOfIt() {
        let (a, from, b, to, now) = pair()
        a.unicast([4, 5, 6], from: from, to: to, now: now)
        let out = frames(a.takeEvents())
        #expect(out.count == 1)
        for f in out { b.receive(frame: f, on: InterfaceID(rawValue: 0), now: now) }
        let delivered = b.takeEvents().compactMap { if case .deliver(let d) = $0 { d } else { nil } }
        #expect(delivered.count == 1)
        #expect(delivered.first?.payload.startIndex == FLIPBox.headroom)
        #expect(delivered.first?.message == [4, 5, 6])
    }
}
