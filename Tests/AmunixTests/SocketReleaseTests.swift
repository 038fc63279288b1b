// SocketRelease: a program's descriptors closed at once, their last
// reference held by a process of their own until the program is done with
// them. Shown on a Unix socket pair, where the peer sees the end of the
// stream exactly when the last reference to the other end goes: not while
// the holding process keeps it, and soon after it is let go. Then the
// endpoint's link itself: frames sent while its transmit ring is still
// being set up, and after, arrive whole and in order.

@testable import AmunixDaemon
import AmoebaCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketReleaseTests {
    /// A connected pair of stream sockets.
    static func pair() -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let r = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        precondition(r == 0)
        return (fds[0], fds[1])
    }

    /// Whether `fd` reads the end of its stream within `milliseconds`.
    static func seesEnd(_ fd: Int32, within milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, milliseconds) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }

    static func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    @Test func theLastReferenceIsHeldElsewhereUntilLetGo() throws {
        let (mine, peer) = Self.pair()
        defer { close(peer) }
        let gate = try #require(SocketRelease.handOver([mine]))
        #expect(!Self.isOpen(mine), "closed in the program at once")
        #expect(!Self.seesEnd(peer, within: 200), "held by the other process while the gate is open")
        close(gate)
        #expect(Self.seesEnd(peer, within: 5000), "let go once the gate closed")
    }

    @Test func detachedClosesHereAndIsReleasedSoonAfter() {
        let (a, peerA) = Self.pair()
        let (b, peerB) = Self.pair()
        defer { close(peerA); close(peerB) }
        SocketRelease.detached([a, b])
        #expect(!Self.isOpen(a) && !Self.isOpen(b))
        #expect(Self.seesEnd(peerA, within: 5000))
        #expect(Self.seesEnd(peerB, within: 5000))
        // The descriptors the program keeps are untouched.
        #expect(Self.isOpen(peerA) && Self.isOpen(peerB))
    }

    @Test(.enabled(if: geteuid() == 0, "needs a raw socket"))
    func framesSentWhileTheRingOpensKeepTheirOrder() throws {
        let a = try PacketSocketLinkTests.open(PacketSocketLinkTests.sender)
        let b = try PacketSocketLinkTests.open(PacketSocketLinkTests.receiver)
        defer { b.close() }
        let to = PacketSocketLinkTests.receiver.bytes
        // A few frames, as a small tool's transactions: no ring is asked
        // for (setting one up and taking it down cost two grace periods).
        for tag in 0..<8 { a.send(PacketSocketLinkTests.frame(to: to, tag: 1000 + tag)) }
        a.flush()
        #expect(!a.ringAskedFor)
        #expect(PacketSocketLinkTests.collect(b, count: 8) == Array(1000..<1008))
        // A stream: past `framesBeforeRing` the ring is asked for and its
        // setup not waited for; in turns of five the frames keep their
        // order, before the ring is in and after.
        for tag in 0..<(PacketSocketLink.framesBeforeRing + 40) {
            a.send(PacketSocketLinkTests.frame(to: to, tag: tag, size: 60 + (tag * 31) % 1400))
            if tag % 5 == 4 { a.flush() }
        }
        #expect(a.ringAskedFor)
        #expect(a.hasTransmitRing)
        let total = PacketSocketLink.framesBeforeRing + 80
        for tag in (PacketSocketLink.framesBeforeRing + 40)..<total {
            a.send(PacketSocketLinkTests.frame(to: to, tag: tag, size: 60 + (tag * 17) % 1400))
            if tag % 5 == 4 { a.flush() }
        }
        a.flush()
        #expect(PacketSocketLinkTests.collect(b, count: total) == Array(0..<total))
        #expect(a.errors == 0)
        a.closesDetached = true
        a.close()
    }
}
