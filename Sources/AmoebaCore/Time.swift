// Time as the sans-I/O protocol machines see it: a monotonic instant in
// microseconds, handed in by whoever drives them (the kernel's timer, the
// daemon's clock, or a test's virtual clock). The machines never read a
// clock themselves, which is what makes simulated runs deterministic.

public struct Instant: Hashable, Comparable, Sendable {
    public var microseconds: Int64
    @inlinable public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Computed and inlinable, as `Port.null` is.
    @inlinable public static var zero: Instant { Instant(microseconds: 0) }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }

    public static func + (a: Instant, d: Interval) -> Instant {
        Instant(microseconds: a.microseconds &+ d.microseconds)
    }

    public static func - (a: Instant, b: Instant) -> Interval {
        Interval(microseconds: a.microseconds &- b.microseconds)
    }
}

public struct Interval: Hashable, Comparable, Sendable {
    public var microseconds: Int64
    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func microseconds(_ n: Int64) -> Interval { Interval(microseconds: n) }
    public static func milliseconds(_ n: Int64) -> Interval { Interval(microseconds: n * 1000) }
    public static func seconds(_ n: Int64) -> Interval { Interval(microseconds: n * 1_000_000) }

    public static func < (a: Interval, b: Interval) -> Bool { a.microseconds < b.microseconds }
    public static func + (a: Interval, b: Interval) -> Interval {
        Interval(microseconds: a.microseconds &+ b.microseconds)
    }
    public static func * (a: Interval, k: Int64) -> Interval {
        Interval(microseconds: a.microseconds &* k)
    }
}

/// The earlier of two optional deadlines; nil means "none".
public func earliest(_ a: Instant?, _ b: Instant?) -> Instant? {
    switch (a, b) {
    case let (x?, y?): return x < y ? x : y
    case let (x?, nil): return x
    case let (nil, y?): return y
    case (nil, nil): return nil
    }
}
