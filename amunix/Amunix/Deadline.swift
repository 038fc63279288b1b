// When a call stops waiting: a moment on the monotonic clock, which the
// program's own checks read, and the same moment on the realtime clock,
// which is what condition variables wait by. The connection uses it for a
// trans's timeout and for the watch a server thread keeps on a socket its
// reader left for a moment (AmunixConnection.swift).

#if canImport(Glibc)
import Glibc
#endif

/// When a call stops waiting for its daemon, on the monotonic clock, and
/// the same moment on the realtime clock condition variables wait by.
struct Deadline {
    private let monotonic: timespec
    let realtime: timespec

    init(after milliseconds: Int) {
        self.init(afterMicroseconds: milliseconds * 1000)
    }

    init(afterMicroseconds microseconds: Int) {
        var m = timespec(), r = timespec()
        clock_gettime(CLOCK_MONOTONIC, &m)
        clock_gettime(CLOCK_REALTIME, &r)
        monotonic = Deadline.add(m, microseconds)
        realtime = Deadline.add(r, microseconds)
    }

    private static func add(_ t: timespec, _ us: Int) -> timespec {
        var out = t
        let ns = Int(t.tv_nsec) + (us % 1_000_000) * 1000
        out.tv_sec += us / 1_000_000 + ns / 1_000_000_000
        out.tv_nsec = ns % 1_000_000_000
        return out
    }

    private var nanosecondsLeft: Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return (Int(monotonic.tv_sec) - Int(now.tv_sec)) * 1_000_000_000 + Int(monotonic.tv_nsec) - Int(now.tv_nsec)
    }

    /// Whole milliseconds left, rounded down: what poll takes.
    var millisecondsLeft: Int { max(0, nanosecondsLeft / 1_000_000) }

    /// Within a millisecond of the deadline or past it: a call's timeout
    /// counts in milliseconds, and poll cannot wait for less.
    var hasPassed: Bool { millisecondsLeft == 0 }

    /// Past the deadline to the nanosecond (for sub-millisecond waits).
    var isDue: Bool { nanosecondsLeft <= 0 }
}
