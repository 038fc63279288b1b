// Where a program endpoint's driver sleeps between turns, and how another
// thread wakes it.
//
// The driver (AmunixEndpoint's ProcessEndpoint+Drive.swift) waits for a
// frame, the node's next deadline, or a nudge from a thread whose new call
// needs the node sooner. Two ways to sleep serve the links an endpoint may
// have. A pcap: link is a packet socket of the endpoint's own
// (PacketSocketLink) and the driver blocks in one recvmmsg on it, as the
// AF_PACKET floor blocks in recv, woken early by a signal (SignalWake).
// A udp: or mcast: link is polled with a wake pipe (LinkWait: an epoll
// set of the link, the pipe and a timerfd).
//
// A nudge is made under the lock the driver sets up its wait under, and
// only while it waits: a signal can reach only a thread known to be there.

import AmoebaCore
import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

public protocol DriverSleep: AnyObject {
    /// Called by the thread about to wait, under the lock its nudgers take.
    func willWait()
    /// Sleeps until frames wait on the link, a nudge, or `deadline` (nil:
    /// none); it may end earlier with nothing to do, which the driver takes
    /// as a turn with nothing new. `now`: the clock, read by the caller
    /// after `willWait` (a wait that read it itself cost a read more).
    func wait(until deadline: Instant?, now: Instant) -> LinkWait.Readiness
    /// Cuts the wait short: under the lock, between `willWait` and the
    /// lock taken again after the wait.
    func nudge()
    /// Gives back what the sleep holds (not the link).
    func closeSleep()
    /// Times the deadline's timer was armed (a system call each), for tests.
    var timesArmed: Int { get }
}

extension DriverSleep {
    /// `wait(until:now:)` with the clock read here.
    public func wait(until deadline: Instant?) -> LinkWait.Readiness {
        wait(until: deadline, now: MonotonicClock.now)
    }
}

/// The sleep for `link`: a blocking receive on a packet socket of the
/// program's own, else polling with a wake pipe.
public func driverSleep(for link: any Link) throws(LinkError) -> any DriverSleep {
    if let own = link as? PacketSocketLink { return own }
    return try PipeSleep(link: link.pollDescriptor)
}

/// The link's descriptor and a pipe, in a LinkWait.
public final class PipeSleep: DriverSleep {
    private var reader: Int32
    private var writer: Int32
    private let sleeper: LinkWait

    public init(link: Int32) throws(LinkError) {
        var ends: [Int32] = [-1, -1]
        guard amx_pipe_cloexec(&ends) == 0 else { throw LinkError.system("pipe") }
        for fd in ends { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        (reader, writer) = (ends[0], ends[1])
        sleeper = LinkWait(link: link, wake: reader)
    }

    public func willWait() {}

    public var timesArmed: Int { sleeper.timesArmed }

    /// LinkWait reads the clock itself; `now` is not needed.
    public func wait(until deadline: Instant?, now: Instant) -> LinkWait.Readiness {
        let woke = sleeper.wait(until: deadline)
        if woke.wake {
            var drained = (UInt64(0), UInt64(0))
            while withUnsafeMutableBytes(of: &drained, { read(reader, $0.baseAddress, $0.count) }) > 0 {}
        }
        return woke
    }

    public func nudge() {
        var one: UInt8 = 1
        _ = write(writer, &one, 1)
    }

    public func closeSleep() {
        sleeper.close()
        if reader >= 0 { Glibc.close(reader) }
        if writer >= 0 { Glibc.close(writer) }
        (reader, writer) = (-1, -1)
    }
}
