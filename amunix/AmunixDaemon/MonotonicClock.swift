// The daemon's clock: the protocol machines take time as microseconds on a
// monotonic clock, so a wall-clock jump can never fire or stall a timer.

import AmoebaCore
#if canImport(Glibc)
import Glibc
#endif

public enum MonotonicClock {
    public static var now: Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}
