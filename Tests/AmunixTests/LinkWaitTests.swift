// LinkWait, what an own endpoint's driver sleeps in: it must say which of
// its two descriptors woke it (a frame on the link, a nudge on the pipe,
// or both), end at its timeout with neither, and keep saying so while a
// descriptor stays readable (level-triggered, as poll was: the driver
// drains the pipe and the link itself). Two pipes stand in for the link
// and the wake pipe.

@testable import AmunixDaemon
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct LinkWaitTests {
    /// A pipe's read and write ends, the read end non-blocking.
    static func pipePair() -> (reader: Int32, writer: Int32) {
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0)
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }

    static func ring(_ fd: Int32) {
        var one: UInt8 = 1
        _ = write(fd, &one, 1)
    }

    @Test func saysWhichWokeItAndTimesOutWithNeither() {
        let link = Self.pipePair(), wake = Self.pipePair()
        defer { for fd in [link.reader, link.writer, wake.reader, wake.writer] { close(fd) } }
        let sleeper = LinkWait(link: link.reader, wake: wake.reader)
        defer { sleeper.close() }
        // Every Linux this runs on has epoll (2.6 on).
        #expect(sleeper.usesEpoll)

        var r = sleeper.wait(milliseconds: 20)
        #expect(!r.link && !r.wake)

        Self.ring(link.writer)
        r = sleeper.wait(milliseconds: 1000)
        #expect(r.link && !r.wake)
        // Still readable: still reported, until drained.
        r = sleeper.wait(milliseconds: 1000)
        #expect(r.link && !r.wake)

        Self.ring(wake.writer)
        r = sleeper.wait(milliseconds: 1000)
        #expect(r.link && r.wake)

        var byte: UInt8 = 0
        _ = read(link.reader, &byte, 1)
        r = sleeper.wait(milliseconds: 1000)
        #expect(!r.link && r.wake)
        _ = read(wake.reader, &byte, 1)
        r = sleeper.wait(milliseconds: 20)
        #expect(!r.link && !r.wake)
    }
}
