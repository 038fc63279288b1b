// A message kept in two buffers, its headers and its data, goes out as
// views of the two (`unicast(framed:then:)`): every frame on the wire must
// be exactly the one the copying path builds for the joined message, on
// every path a message can take (straight out, behind flow control, after
// a locate, to a local endpoint), and the receiver must get the same
// message.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct SplitSendTests {

    /// Two boxes on one wire; `located` says whether they have found each other.
    func pair(located: Bool = true) -> (a: FLIPBox, from: EndpointID, b: FLIPBox, to: FLIPAddress, now: Instant) {
        let a = FLIPBox(), b = FLIPBox()
        _ = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        _ = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 0x1111_2222))
        let eb = b.register(privateAddress: FLIPAddress(littleEndianBits: 0x3333_4444))
        let to = b.address(of: eb)!
        var now = Instant.zero
        if located {
            a.unicast([1], from: from, to: to, now: now)
            (_, _, now) = runWire(a, b, now: now)
        }
        return (a, from, b, to, now)
    }

    /// The message id sits at offset 24 of the FLIP header, after the
    /// 14-byte Ethernet header and the two control bytes.
    func withoutMessageID(_ frame: [UInt8]) -> [UInt8] {
        var f = frame
        guard f.count >= 44 else { return f }
        for k in 40..<44 { f[k] = 0 }
        return f
    }

    func message(_ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) } }

    /// Each split point: inside the first fragment (RPC's 56 bytes of
    /// headers), at a fragment's end, inside a later fragment, and the
    /// whole message in the head or in the body.
    @Test(arguments: [(30_000, 56), (30_000, 1_458), (30_000, 2_000), (30_000, 0), (30_000, 30_000), (100, 56),
                      (1_458, 56), (1_459, 1_458)])
    func framesAreThoseOfTheJoinedMessage(size: Int, split: Int) {
        let whole = message(size)
        let (a, from, b, to, now) = pair()
        a.unicast(whole, from: from, to: to, now: now)
        let copied = runWire(a, b, now: now)
        var head = [UInt8](repeating: 0xEE, count: FLIPBox.headroom) + whole[..<split]
        let keptHead = head
        a.unicast(framed: &head, then: whole[split...], from: from, to: to, now: copied.now)
        let viewed = runWire(a, b, now: copied.now)
        #expect(copied.sent.count == (size + 1_457) / 1_458)
        #expect(viewed.sent.map(withoutMessageID) == copied.sent.map(withoutMessageID))
        #expect(copied.delivered == [whole] && viewed.delivered == [whole])
        #expect(head == keptHead)  // the sender may send it again
    }

    @Test func aSplitMessageWaitingForALocateGoesOutWhole() {
        let whole = message(5_000)
        let (a, from, b, to, now) = pair(located: false)
        var head = [UInt8](repeating: 0, count: FLIPBox.headroom) + whole[..<56]
        a.unicast(framed: &head, then: whole[56...], from: from, to: to, now: now)
        let out = runWire(a, b, now: now)
        #expect(out.delivered == [whole])
    }

    @Test func aSplitMessageToALocalEndpointArrivesWhole() {
        let whole = message(3_000)
        let a = FLIPBox()
        _ = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 5))
        let local = a.register(privateAddress: FLIPAddress(littleEndianBits: 6))
        var head = [UInt8](repeating: 0, count: FLIPBox.headroom) + whole[..<56]
        a.unicast(framed: &head, then: whole[56...], from: from, to: a.address(of: local)!, now: .zero)
        let delivered = a.takeEvents().compactMap { if case .deliver(let d) = $0 { d.message } else { nil } }
        #expect(delivered == [whole])
    }
}
