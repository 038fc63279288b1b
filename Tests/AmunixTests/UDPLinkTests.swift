// Ethernet in UDP: a frame sent on one end arrives whole on the other, and
// a multicast member does not hear its own frames.

import AmunixDaemon
import FLIP
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
        let base = UInt16(41000 + Int(getpid() % 1000) * 2)
        let a = try UDPLink(name: "a", localPort: base, remoteHost: "127.0.0.1", remotePort: base + 1, mac: macA)
        let b = try UDPLink(name: "b", localPort: base + 1, remoteHost: "localhost", remotePort: base, mac: macB)
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
        let base = UInt16(45000 + Int(getpid() % 1000) * 2)
        let a = try UDPLink(name: "a", localPort: base, remoteHost: "127.0.0.1", remotePort: base + 1, mac: macA)
        let b = try UDPLink(name: "b", localPort: base + 1, remoteHost: "127.0.0.1", remotePort: base, mac: macB)
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
        let port = UInt16(43000 + Int(getpid() % 1000))
        let a = try UDPLink(name: "a", localPort: port, remoteHost: "127.0.0.1", remotePort: 9, mac: mac)
        defer { a.close() }
        #expect(throws: LinkError.self) {
            try UDPLink(name: "b", localPort: port, remoteHost: "127.0.0.1", remotePort: 9, mac: mac)
        }
        #expect(throws: LinkError.self) {
            try UDPLink(name: "c", localPort: 0, remoteHost: "no.such.host.invalid", remotePort: 9, mac: mac)
        }
    }
}
