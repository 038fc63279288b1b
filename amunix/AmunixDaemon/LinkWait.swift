// What a program's FLIP endpoint sleeps in: its link or its wake pipe.
//
// The endpoint's driver waits for the next frame on its link, for a nudge
// through a pipe (a call that needs the node sooner), or for the node's
// next timer. poll(2) on the two descriptors does what the driver needs
// but pays, on every wait, to register on each descriptor's wait queue
// and leave it again, twice asking each whether it is ready. In a CPU
// profile of a frame ping-pong through an endpoint's link on one vCPU
// (rpc_bench link-ping, issue 13) the wait took about 3.7 µs per round
// trip, both sides together, against about 2.3 µs for all of the blocking
// recv a raw ping-pong waits in. An epoll set is registered once, when
// the endpoint opens; a wait then sleeps on the set alone and asks only
// the descriptor that woke it: the wait's share fell to about 2.3 µs (the
// timer, the wait's timeout, still costs what it did). Timed under the
// load of a shared machine, a null transaction between two endpoints
// gained about 1 µs, within the noise.
//
// Where the kernel offers no epoll the wait falls back to poll.

import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

public final class LinkWait {
    /// Which of the two became readable.
    public struct Readiness: Sendable {
        public var link = false
        public var wake = false

        mutating func note(_ tag: UInt64) {
            if tag == LinkWait.linkTag { link = true } else { wake = true }
        }
    }

    private let link: Int32
    private let wake: Int32
    /// The epoll set holding both; -1 when the kernel gave none (poll).
    private var epollSet: Int32

    public init(link: Int32, wake: Int32) {
        self.link = link
        self.wake = wake
        let s = amx_epoll_create()
        if s >= 0 && amx_epoll_add(s, link, LinkWait.linkTag) == 0 && amx_epoll_add(s, wake, LinkWait.wakeTag) == 0 {
            epollSet = s
        } else {
            if s >= 0 { Glibc.close(s) }
            epollSet = -1
        }
    }

    deinit { close() }

    /// Whether the kernel gave an epoll set (else the wait polls).
    var usesEpoll: Bool { epollSet >= 0 }

    /// Sleeps until the link or the pipe is readable, or `milliseconds`
    /// pass (negative: no limit). A signal ends the wait early with
    /// neither ready, as a timeout would.
    public func wait(milliseconds: Int32) -> Readiness {
        var ready = Readiness()
        if epollSet >= 0 {
            var events = (amx_epoll_event(), amx_epoll_event())
            let n = withUnsafeMutablePointer(to: &events) {
                $0.withMemoryRebound(to: amx_epoll_event.self, capacity: 2) { amx_epoll_wait(epollSet, $0, 2, milliseconds) }
            }
            // Two events at most, read in place (no array per wait).
            if n >= 1 { ready.note(events.0.data) }
            if n >= 2 { ready.note(events.1.data) }
            return ready
        }
        var fds = (pollfd(fd: link, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
        let n = withUnsafeMutablePointer(to: &fds) {
            $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, milliseconds) }
        }
        if n > 0 {
            ready.link = fds.0.revents != 0
            ready.wake = fds.1.revents != 0
        }
        return ready
    }

    /// Gives the set back (the descriptors it watches stay open).
    public func close() {
        if epollSet >= 0 { Glibc.close(epollSet) }
        epollSet = -1
    }

    private static let linkTag: UInt64 = 0
    private static let wakeTag: UInt64 = 1
}
