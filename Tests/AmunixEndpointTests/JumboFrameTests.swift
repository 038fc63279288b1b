// Jumbo frames between two program endpoints (`pcap:lo,mtu=9000`; the
// loopback interface carries frames of 64 KB): long messages cross whole
// and intact in frames of up to 9014 bytes, a 30000-byte request and its
// echo in 4 frames each where Ethernet's frames take 21. Needs root.

import AmoebaCore
@testable import AmunixDaemon
@testable import AmunixEndpoint
import FLIP
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
}
