// The wall clock, for the one thing that needs it: a sealed datagram's
// counter (SegmentSeal.swift) starts at the time of day so that it stays
// above what a previous run sent, and receivers judge its age by their own
// time of day. Timers use MonotonicClock.

#if canImport(Glibc)
import Glibc
#endif

enum SealClock {
    /// Microseconds since 1970.
    static var microseconds: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000 &+ UInt64(ts.tv_nsec / 1000)
    }
}
