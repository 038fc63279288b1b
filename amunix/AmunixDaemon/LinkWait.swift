// What a program's FLIP endpoint sleeps in on a udp: or mcast: link: the
// link or its wake pipe (a pcap: endpoint sleeps in a blocking receive on
// a packet socket of its own instead: PacketSocketLink.swift).
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
// The deadline is a timer of the set's own (a timerfd), not the wait's
// timeout. A timeout arms a kernel timer on every wait that sleeps and
// cancels it on every wake: on one vCPU, a frame ping-pong through two
// endpoints' waits (a C model of this path, epoll on a libpcap ring and a
// pipe, pinned as in amunix-bench) took 15.4 to 15.8 µs per round trip
// with a one-second timeout and 14.0 to 14.5 µs with none, against 11.2
// to 11.3 µs for the raw floor. The node's next deadline rarely moves
// earlier: a transaction's retransmission timer lies milliseconds past
// one that is already armed. So the timer is armed only when the deadline
// asked for is earlier than the one it holds; a later one leaves it, and
// when it fires before the node is due the driver just waits again and
// the timer is armed anew. Most waits then arm nothing, and the deadline
// is kept to the microsecond instead of being rounded up to the next
// millisecond as a timeout in milliseconds was.
//
// Where the kernel offers no epoll the wait falls back to poll, and where
// it offers no timerfd, to a timeout in milliseconds, as before.

import AmoebaCore
import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

public final class LinkWait {
    /// Which of the three woke the wait.
    public struct Readiness: Sendable {
        public var link = false
        public var wake = false
        /// The armed timer ran out: the deadline it held, or an earlier
        /// one asked for since, may be due (or, asked for later since, not).
        public var timer = false

        mutating func note(_ tag: UInt64) {
            switch tag {
            case LinkWait.linkTag: link = true
            case LinkWait.wakeTag: wake = true
            default: timer = true
            }
        }
    }

    private let link: Int32
    private let wake: Int32
    /// The epoll set holding both; -1 when the kernel gave none (poll).
    private var epollSet: Int32
    /// The set's deadline timer; -1 when there is none (the wait's
    /// timeout stands in).
    private var timer: Int32 = -1
    /// When the timer fires; nil while it is not armed.
    private var armedFor: Instant?
    /// Times the timer was armed (a system call each), for tests.
    private(set) var timesArmed = 0

    public init(link: Int32, wake: Int32) {
        self.link = link
        self.wake = wake
        let s = amx_epoll_create()
        if s >= 0 && amx_epoll_add(s, link, LinkWait.linkTag) == 0 && amx_epoll_add(s, wake, LinkWait.wakeTag) == 0 {
            epollSet = s
            let t = amx_timerfd_create()
            if t >= 0 && amx_epoll_add(s, t, LinkWait.timerTag) == 0 {
                timer = t
            } else if t >= 0 {
                Glibc.close(t)
            }
        } else {
            if s >= 0 { Glibc.close(s) }
            epollSet = -1
        }
    }

    deinit { close() }

    /// Whether the kernel gave an epoll set (else the wait polls).
    var usesEpoll: Bool { epollSet >= 0 }
    /// Whether the deadline is a timer in the set (else a timeout).
    var usesTimer: Bool { timer >= 0 }

    /// Sleeps until the link or the pipe is readable or `deadline` (nil:
    /// no limit) is reached. The wait may also end earlier, with `timer`,
    /// at a deadline asked for before and since moved later; and a signal
    /// ends it early with nothing ready.
    public func wait(until deadline: Instant?) -> Readiness {
        var timeout: Int32 = -1
        if let deadline {
            let now = MonotonicClock.now
            if deadline <= now {
                timeout = 0
            } else if timer >= 0 {
                if armedFor.map({ deadline < $0 }) ?? true { arm(at: deadline) }
            } else {
                // Rounded up, so a deadline is never polled for early and spun on.
                timeout = Int32(clamping: (deadline.microseconds - now.microseconds + 999) / 1000)
            }
        }
        var ready = Readiness()
        if epollSet >= 0 {
            var events = (amx_epoll_event(), amx_epoll_event(), amx_epoll_event())
            let n = withUnsafeMutablePointer(to: &events) {
                $0.withMemoryRebound(to: amx_epoll_event.self, capacity: 3) { amx_epoll_wait(epollSet, $0, 3, timeout) }
            }
            // Three events at most, read in place (no array per wait).
            if n >= 1 { ready.note(events.0.data) }
            if n >= 2 { ready.note(events.1.data) }
            if n >= 3 { ready.note(events.2.data) }
            if ready.timer { disarmed() }
            return ready
        }
        var fds = (pollfd(fd: link, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
        let n = withUnsafeMutablePointer(to: &fds) {
            $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, timeout) }
        }
        if n > 0 {
            ready.link = fds.0.revents != 0
            ready.wake = fds.1.revents != 0
        }
        return ready
    }

    private func arm(at deadline: Instant) {
        timesArmed += 1
        if amx_timerfd_arm_at(timer, deadline.microseconds) == 0 {
            armedFor = deadline
        } else {
            // Not armed: the wait would sleep past the deadline. Give the
            // timer up for the timeout from here on.
            Glibc.close(timer)
            timer = -1
            armedFor = nil
        }
    }

    /// The timer fired: read its count, so that it is no longer readable.
    private func disarmed() {
        var expirations: UInt64 = 0
        _ = read(timer, &expirations, 8)
        armedFor = nil
    }

    /// Gives the set back (the descriptors it watches stay open).
    public func close() {
        if timer >= 0 { Glibc.close(timer) }
        timer = -1
        if epollSet >= 0 { Glibc.close(epollSet) }
        epollSet = -1
    }

    private static let linkTag: UInt64 = 0
    private static let wakeTag: UInt64 = 1
    private static let timerTag: UInt64 = 2
}
