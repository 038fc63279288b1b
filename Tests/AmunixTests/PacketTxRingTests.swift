// The pcap link's transmit ring, on the loopback interface: what one
// station sends there comes back to the kernel as received, so a second
// station on `lo` hears it. Needs root (or CAP_NET_RAW), so the tests run
// only then.
//
// The point of the ring is when frames reach the peer (all of a turn's
// before it can run), which depends on the scheduler and is measured by
// the bench; here: that frames leave through the ring at all, whole and
// in order, also when a turn has more frames than the ring has slots and
// the rest take sendmmsg after them, and across many turns (the ring
// wraps and its slots come back). Each frame leads with a virtio-net
// header that makes the kernel copy it (PacketTxRing's init): frames of
// every size up to the largest still fit their slot and arrive whole. A
// turn of one frame leaves by a plain send from its slot, in order with
// the turns around it, and its slot is filled again next.

@testable import AmunixDaemon
import FLIP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .enabled(if: geteuid() == 0, "needs a raw socket"))
struct PacketTxRingTests {
    static let sender = EthernetAddress(bytes: [0x02, 0x66, 0x70, 0x00, 0x00, 0x01])!
    static let receiver = EthernetAddress(bytes: [0x02, 0x66, 0x70, 0x00, 0x00, 0x02])!

    /// A FLIP-typed frame to `receiver` whose payload names `turn` and `i`.
    static func frame(turn: Int, _ i: Int, size: Int = 60) -> [UInt8] {
        var f = receiver.bytes + sender.bytes + [0x81, 0x46]
        f += [UInt8(turn & 0xff), UInt8(turn >> 8), UInt8(i & 0xff), UInt8(i >> 8)]
        while f.count < size { f.append(UInt8(truncatingIfNeeded: f.count &* 31 &+ i)) }
        return f
    }

    /// Collects frames to `receiver` arriving on `link` until `count` came
    /// or a second passed without one.
    static func collect(_ link: PcapLink, count: Int) -> [[UInt8]] {
        var got: [[UInt8]] = []
        var idle = 0
        while got.count < count && idle < 100 {
            var p = pollfd(fd: link.pollDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10)
            let before = got.count
            link.receiveAll { f in
                if f.count >= 6 && Array(f[0..<6]) == receiver.bytes { got.append(f) }
            }
            idle = got.count > before ? 0 : idle + 1
        }
        return got
    }

    /// Sends `turns` turns from `a`, `frames(turn)` frames of
    /// `size(turn, i)` bytes each, flushing after each turn; every
    /// `check` turns, `b` must have received exactly what was sent since,
    /// in order. Returns how many turns had one frame.
    @discardableResult
    static func sendTurns(_ turns: Int, from a: PcapLink, to b: PcapLink, checkingEvery check: Int,
                          frames: (Int) -> Int, size: (Int, Int) -> Int) -> Int {
        var sent: [[UInt8]] = []
        var lone = 0
        for turn in 0..<turns {
            let n = frames(turn)
            if n == 1 { lone += 1 }
            for i in 0..<n {
                let f = frame(turn: turn, i, size: size(turn, i))
                a.send(f)
                sent.append(f)
            }
            a.flush()
            if turn % check == check - 1 {
                #expect(collect(b, count: sent.count) == sent)
                sent = []
            }
        }
        return lone
    }

    @Test func framesLeaveThroughTheRingWholeAndInOrder() throws {
        let a = try PcapLink(name: "ring-a", interface: "lo", mac: Self.sender)
        let b = try PcapLink(name: "ring-b", interface: "lo", mac: Self.receiver)
        defer { a.close(); b.close() }
        #expect(a.hasTransmitRing)
        // Many turns of a few frames each: the ring wraps several times.
        Self.sendTurns(100, from: a, to: b, checkingEvery: 10, frames: { _ in 3 },
                       size: { turn, i in 60 + (turn * 7 + i * 13) % 1400 })
        #expect(a.errors == 0)
    }

    @Test func aTurnLargerThanTheRingKeepsItsOrder() throws {
        let a = try PcapLink(name: "ring-a", interface: "lo", mac: Self.sender)
        let b = try PcapLink(name: "ring-b", interface: "lo", mac: Self.receiver)
        defer { a.close(); b.close() }
        // More frames in one turn than the ring has slots: the ring's go
        // first, the rest by sendmmsg after them.
        let n = PacketTxRing.slots + 40
        let sent = (0..<n).map { Self.frame(turn: 7, $0, size: 200) }
        for f in sent { a.send(f) }
        a.flush()
        let got = Self.collect(b, count: n)
        #expect(got.count == n)
        #expect(got == sent)
    }

    @Test func framesOfEverySizeLeaveCopiedAndWhole() throws {
        let a = try PcapLink(name: "ring-a", interface: "lo", mac: Self.sender)
        let b = try PcapLink(name: "ring-b", interface: "lo", mac: Self.receiver)
        defer { a.close(); b.close() }
        // Every kernel this runs on takes the header (Linux 2.6.33 on).
        #expect(a.transmitRingCopiesFrames)
        // The smallest and the largest Ethernet frame, and some between,
        // in turns of two (a request and the ACK that travels with it).
        let sizes = [60, 61, 128, 1000, 1499, 1513, 1514]
        var sent: [[UInt8]] = []
        for (turn, size) in sizes.enumerated() {
            for i in 0..<2 {
                let f = Self.frame(turn: turn, i, size: size)
                a.send(f)
                sent.append(f)
            }
            a.flush()
        }
        let got = Self.collect(b, count: sent.count)
        #expect(got == sent)
        #expect(a.errors == 0)
    }

    @Test func aLoneFrameLeavesByAPlainSendInOrder() throws {
        let a = try PcapLink(name: "ring-a", interface: "lo", mac: Self.sender)
        let b = try PcapLink(name: "ring-b", interface: "lo", mac: Self.receiver)
        defer { a.close(); b.close() }
        // Turns of one frame between turns of three, past a wrap of the
        // ring: every frame arrives whole and in order, and only the lone
        // ones leave by the plain send.
        let lone = Self.sendTurns(120, from: a, to: b, checkingEvery: 20, frames: { $0 % 2 == 0 ? 1 : 3 },
                                  size: { turn, i in 60 + (turn * 11 + i * 5) % 1450 })
        #expect(a.framesSentAlone == lone)
        #expect(a.errors == 0)
    }

    /// A link with jumbo frames (`mtu=9000`): frames up to 9014 bytes
    /// leave through the ring, alone and in turns and by sendmmsg past
    /// the ring's slots, and arrive whole through the capture; a link of
    /// Ethernet's size has room for none of them.
    @Test func jumboFramesLeaveAndArriveWhole() throws {
        let a = try PcapLink(name: "ring-a", interface: "lo", mac: Self.sender, mtu: 9000)
        let b = try PcapLink(name: "ring-b", interface: "lo", mac: Self.receiver, mtu: 9000)
        defer { a.close(); b.close() }
        let sizes = [60, 1514, 1515, 4000, 9013, 9014]
        var sent: [[UInt8]] = []
        for (turn, size) in sizes.enumerated() {
            for i in 0..<(turn % 2 == 0 ? 1 : 3) {
                let f = Self.frame(turn: turn, i, size: size)
                a.send(f)
                sent.append(f)
            }
            a.flush()
        }
        let many = (0..<(PacketTxRing.slots + 10)).map { Self.frame(turn: 99, $0, size: 9014) }
        for f in many { a.send(f) }
        a.flush()
        sent += many
        #expect(Self.collect(b, count: sent.count) == sent)
        #expect(a.errors == 0)
        let plain = try PcapLink(name: "ring-p", interface: "lo", mac: Self.sender)
        defer { plain.close() }
        plain.send(Self.frame(turn: 0, 0, size: 9014))
        plain.flush()
        #expect(plain.errors == 1)
    }
}
