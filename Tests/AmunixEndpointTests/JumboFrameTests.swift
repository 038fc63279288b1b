// Jumbo frames between two program endpoints (`pcap:lo,mtu=9000`; the
// loopback interface carries frames of 64 KB): long messages cross whole
// and intact in frames of up to 9014 bytes, a 30000-byte request and its
// echo in 4 frames each where Ethernet's frames take 21; and an amunixd on
// such a link fragments its replies alike. Needs root.

import AmoebaCore
import Amunix
@testable import AmunixDaemon
@testable import AmunixEndpoint
import DaemonTestSupport
import FLIP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .enabled(if: geteuid() == 0, "needs a raw socket"))
struct JumboFrameTests {
    /// Frames the client sends for `calls` echo transactions of `size`
    /// bytes each between two endpoints on `link`, after one to locate the
    /// server; every echo checked.
    static func framesSent(on link: String, calls: Int, size: Int) throws -> Int {
        let a = try ProcessEndpoint(link: LinkSpec(parsing: link))
        let b = try ProcessEndpoint(link: LinkSpec(parsing: link))
        defer { a.close(); b.close() }
        let (cap, served) = serveEcho(on: b)
        var h = Header(capability: cap, command: 7)
        _ = try a.trans(h, [], timeout: .seconds(10))
        let before = a.statistics.flip.framesOut
        for i in 0..<calls {
            h.offset = Int32(i)
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
            let r = try a.trans(h, data, timeout: .seconds(10))
            #expect(r.header.offset == Int32(i))
            #expect(r.data == data)
        }
        #expect(served.count == calls + 1)
        return a.statistics.flip.framesOut - before
    }

    @Test func longMessagesCrossInJumboFrames() throws {
        let calls = 20
        let jumbo = try Self.framesSent(on: "pcap:lo,mtu=9000", calls: calls, size: 30000)
        let plain = try Self.framesSent(on: "pcap:lo", calls: calls, size: 30000)
        // A request of 30000 bytes and its headers: 4 frames of 8958 bytes
        // of FLIP data, 21 of 1458; then at most an ACK or a credit each.
        #expect(jumbo >= calls * 4 && jumbo <= calls * 6, "\(jumbo) frames for \(calls) requests")
        #expect(plain >= calls * 21, "\(plain) frames for \(calls) requests")
    }

    /// Sizes around the frame's edge: a message that just fits one jumbo
    /// frame, one byte more, and a megabyte-scale train of frames.
    @Test func messagesAroundTheFrameSizeCrossIntact() throws {
        let a = try ProcessEndpoint(link: LinkSpec(parsing: "pcap:lo,mtu=9000"))
        let b = try ProcessEndpoint(link: LinkSpec(parsing: "pcap:lo,mtu=9000"))
        defer { a.close(); b.close() }
        let (cap, _) = serveEcho(on: b, threads: 2)
        let oneFrame = 8958 - 24 - Header.size
        for size in [0, 1, oneFrame - 1, oneFrame, oneFrame + 1, 2 * 8958, 30000, 100_000] {
            var h = Header(capability: cap, command: 7)
            h.offset = Int32(size)
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ size) }
            let r = try a.trans(h, data, timeout: .seconds(10))
            #expect(r.header.offset == Int32(size))
            #expect(r.data == data, "\(size) bytes")
        }
    }

    /// An amunixd whose link has mtu=9000 cuts its messages for it: a
    /// program served through it answers 30000 bytes in 4 frames.
    @Test func anAmunixHostOnAJumboLinkSendsJumboFrames() throws {
        let dir = NSTemporaryDirectory() + "amunix-jumbo-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var c = DaemonConfiguration(links: [try LinkSpec(parsing: "pcap:lo,mtu=9000")],
                                    socketPath: dir + "/amunixd.sock", stateDirectory: dir, hostName: "j")
        c.seed = 5
        let running = try RunningDaemon(c)
        defer {
            #expect(running.stop())
            try? FileManager.default.removeItem(atPath: dir)
        }
        // A program behind the daemon echoing what it gets.
        let conn = try AmunixConnection(path: dir + "/amunixd.sock")
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        Thread {
            while let req = try? conn.getreq(getPort) {
                var h = Header()
                h.offset = req.header.offset
                try? conn.putrep(req, h, req.data)
            }
        }.start()
        let e = try ProcessEndpoint(link: LinkSpec(parsing: "pcap:lo,mtu=9000"))
        defer { e.close() }
        let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        var h = Header(capability: cap, command: 7)
        _ = try e.trans(h, [], timeout: .seconds(10))
        let calls = 10
        let before = e.statistics.flip.framesIn
        for i in 0..<calls {
            h.offset = Int32(i)
            let data = (0..<30000).map { UInt8(truncatingIfNeeded: $0 &+ 3 &* i) }
            let r = try e.trans(h, data, timeout: .seconds(10))
            #expect(r.header.offset == Int32(i))
            #expect(r.data == data)
        }
        let arrived = e.statistics.flip.framesIn - before
        // Each echo 4 frames, and a credit now and then; 21 each at 1458
        // bytes a fragment. (Other tests' broadcasts on lo may add a few.)
        #expect(arrived >= calls * 4 && arrived < calls * 10, "\(arrived) frames in for \(calls) echoes")
        conn.close()
    }
}
