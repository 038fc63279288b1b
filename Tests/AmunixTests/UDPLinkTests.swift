// Ethernet in UDP: a frame sent on one end arrives whole on the other, and
// a multicast member does not hear its own frames. On a keyed link the
// largest frame still arrives whole, and a member of the group without the
// key reads no frame and cannot replay one.

import AmunixDaemon
import FLIP
import SegmentSeal
import DaemonTestSupport
import Foundation
import Testing

@Suite struct UDPLinkTests {
    func waitFor(_ link: UDPLink) -> [[UInt8]] {
        var got: [[UInt8]] = []
        for _ in 0..<200 {
            link.receiveAll { got.append($0) }
            if !got.isEmpty { return got }
            usleep(5000)
        }
        return got
    }

    @Test func pointToPoint() throws {
        let macA = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let macB = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
        let (p, q) = FreeUDPPorts.pair()
        let (base, other) = (UInt16(p), UInt16(q))
        let a = try UDPLink(name: "a", localPort: base, remoteHost: "127.0.0.1", remotePort: other, mac: macA)
        let b = try UDPLink(name: "b", localPort: other, remoteHost: "localhost", remotePort: base, mac: macB)
        defer { a.close(); b.close() }
        let frame = macB.bytes + macA.bytes + [0x81, 0x46] + (0..<1500).map { UInt8(truncatingIfNeeded: $0) }
        a.send(frame)
        a.flush()
        #expect(waitFor(b) == [frame])
        b.send(Array(frame.reversed()))
        b.flush()
        #expect(waitFor(a) == [Array(frame.reversed())])
        #expect(a.errors == 0 && b.errors == 0)
    }

    /// A turn's frames leave in batches (sendmmsg) and arrive in batches
    /// (recvmmsg): more than one batch's worth, all of them, in order; a
    /// frame too large for a batch slot is counted, not sent, and does not
    /// hold up the others.
    @Test func batchesKeepEveryFrameInOrder() throws {
        let macA = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let macB = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
        let (p, q) = FreeUDPPorts.pair()
        let (base, other) = (UInt16(p), UInt16(q))
        let a = try UDPLink(name: "a", localPort: base, remoteHost: "127.0.0.1", remotePort: other, mac: macA)
        let b = try UDPLink(name: "b", localPort: other, remoteHost: "127.0.0.1", remotePort: base, mac: macB)
        defer { a.close(); b.close() }
        let frames = (0..<150).map { i in macB.bytes + macA.bytes + [0x81, 0x46, UInt8(i)] + [UInt8](repeating: UInt8(i), count: 60 + i) }
        for (i, f) in frames.enumerated() {
            a.send(f)
            if i == 70 { a.send([UInt8](repeating: 1, count: 4000)) }
        }
        a.flush()
        var got: [[UInt8]] = []
        for _ in 0..<400 where got.count < frames.count {
            b.receiveAll { got.append($0) }
            if got.count < frames.count { usleep(5000) }
        }
        #expect(got == frames)
        #expect(a.errors == 1)
    }

    @Test func bindConflictIsAClearError() throws {
        let mac = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let port = UInt16(FreeUDPPorts.take(1)[0])
        let a = try UDPLink(name: "a", localPort: port, remoteHost: "127.0.0.1", remotePort: 9, mac: mac)
        defer { a.close() }
        #expect(throws: LinkError.self) {
            try UDPLink(name: "b", localPort: port, remoteHost: "127.0.0.1", remotePort: 9, mac: mac)
        }
        #expect(throws: LinkError.self) {
            try UDPLink(name: "c", localPort: 0, remoteHost: "no.such.host.invalid", remotePort: 9, mac: mac)
        }
    }

    @Test func keyedPointToPointCarriesTheLargestFrame() throws {
        let macA = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let macB = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
        let (p, q) = FreeUDPPorts.pair()
        let (base, other) = (UInt16(p), UInt16(q))
        let key = NSTemporaryDirectory() + "udp-key-\(getpid())"
        defer { unlink(key) }
        let a = try UDPLink(name: "a", localPort: base, remoteHost: "127.0.0.1", remotePort: other, mac: macA, keyPath: key)
        let b = try UDPLink(name: "b", localPort: other, remoteHost: "127.0.0.1", remotePort: base, mac: macB, keyPath: key)
        defer { a.close(); b.close() }
        let frame = macB.bytes + macA.bytes + [0x81, 0x46] + (0..<1500).map { UInt8(truncatingIfNeeded: $0) }
        #expect(frame.count == 1514)
        a.send(frame)
        a.flush()
        #expect(waitFor(b) == [frame])
        b.send(Array(frame.prefix(60)))
        b.flush()
        #expect(waitFor(a) == [Array(frame.prefix(60))])
        #expect(a.errors == 0 && b.errors == 0)
        #expect(b.sealStatistics?.opened == 1 && b.refused == 0)
    }

    /// A member of a keyed group without the key (the sniffer) sees the
    /// datagrams but not the bytes of the frame in any of them; sending
    /// them again gets none taken.
    @Test func aSnifferOnAKeyedGroupReadsNothingAndReplaysNothing() throws {
        let macA = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let macB = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
        let macS = EthernetAddress(bytes: [2, 0, 0, 0, 0, 3])!
        let port = UInt16(53000 + Int(getpid() % 1000))
        let group = "239.255.\(getpid() % 250).\(getpid() % 200 + 20)"
        let key = NSTemporaryDirectory() + "mcast-key-\(getpid())"
        defer { unlink(key) }
        let a = try UDPLink(name: "a", group: group, port: port, interface: "127.0.0.1", ttl: 0, mac: macA, keyPath: key)
        let b = try UDPLink(name: "b", group: group, port: port, interface: "127.0.0.1", ttl: 0, mac: macB, keyPath: key)
        let sniffer = try UDPLink(name: "s", group: group, port: port, interface: "127.0.0.1", ttl: 0, mac: macS)
        defer { a.close(); b.close(); sniffer.close() }
        // A frame carrying a capability's port, as a request does.
        let port6: [UInt8] = [0xc4, 0x51, 0x9e, 0x07, 0x3a, 0xd2]
        let frame = macB.bytes + macA.bytes + [0x81, 0x46] + [UInt8](repeating: 0, count: 40) + port6 + [UInt8](repeating: 0, count: 20)
        for _ in 0..<5 { a.send(frame) }
        a.flush()
        var heard: [[UInt8]] = []
        for _ in 0..<200 where heard.count < 5 {
            b.receiveAll { heard.append($0) }
            if heard.count < 5 { usleep(5000) }
        }
        #expect(heard == Array(repeating: frame, count: 5))
        var captured: [[UInt8]] = []
        for _ in 0..<200 where captured.count < 5 {
            sniffer.receiveAll { captured.append($0) }
            if captured.count < 5 { usleep(5000) }
        }
        #expect(captured.count == 5)
        for d in captured {
            #expect(d.count == frame.count + SegmentSeal.overhead)
            for i in 0...(d.count - port6.count) { #expect(Array(d[i..<(i + 6)]) != port6, "the port shows in a datagram") }
        }
        // The sniffer replays what it recorded: b takes none of it.
        for d in captured { sniffer.send(d) }
        sniffer.flush()
        var replayed = 0
        for _ in 0..<200 where (b.sealStatistics?.replayed ?? 0) < 5 {
            b.receiveAll { _ in replayed += 1 }
            usleep(5000)
        }
        #expect(replayed == 0)
        #expect(b.sealStatistics?.replayed == 5)
        // Nor does a frame of its own get in.
        sniffer.send(frame)
        sniffer.flush()
        for _ in 0..<200 where b.refused < 6 {
            b.receiveAll { _ in replayed += 1 }
            usleep(5000)
        }
        #expect(replayed == 0 && b.refused == 6)
    }
}
