// A seeded fault injector between the FLIP box and a link.
//
// Tests and demos need a bad network on demand, on a machine whose kernel
// may lack netem, and they need the same bad network again when a failure
// must be reproduced: hence a generator with a seed. It works on frames
// this host sends: each may be dropped, duplicated, held back to go out
// after the next one (reorder), corrupted in one byte, or delayed.

import AmoebaCore

public struct FaultSettings: Hashable, Sendable {
    public var drop = 0.0
    public var duplicate = 0.0
    public var reorder = 0.0
    public var corrupt = 0.0
    public var delay = 0.0
    public var maxDelayMicroseconds: Int64 = 5000
    public var seed: UInt64 = 1

    public static let none = FaultSettings()
    public init() {}

    public var isActive: Bool { drop > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delay > 0 }
}

/// SplitMix64: small, fast, and the same sequence on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public struct FaultCounters: Sendable, Equatable {
    public var passed = 0, dropped = 0, duplicated = 0, reordered = 0, corrupted = 0, delayed = 0
}

public struct FaultInjector: Sendable {
    public let settings: FaultSettings
    public private(set) var counters = FaultCounters()
    private var random: SeededGenerator
    private var heldForReorder: [UInt8]?
    private var heldSince = Instant.zero
    private var delayed: [(due: Instant, frame: [UInt8])] = []

    /// A frame held for reordering goes out alone after this long.
    static let reorderHold = Interval.milliseconds(2)

    public init(_ settings: FaultSettings) {
        self.settings = settings
        random = SeededGenerator(seed: settings.seed)
    }

    /// The frames to send now in place of `frame`.
    public mutating func process(_ frame: [UInt8], now: Instant) -> [[UInt8]] {
        guard settings.isActive else { return [frame] }
        if chance(settings.drop) {
            counters.dropped += 1
            return []
        }
        var f = frame
        if chance(settings.corrupt), f.count > 14 {
            let i = Int.random(in: 14..<f.count, using: &random)
            f[i] ^= UInt8.random(in: 1...255, using: &random)
            counters.corrupted += 1
        }
        var out: [[UInt8]] = []
        if chance(settings.delay) {
            let d = Int64.random(in: 0...max(0, settings.maxDelayMicroseconds), using: &random)
            delayed.append((now + .microseconds(d), f))
            counters.delayed += 1
        } else if heldForReorder == nil, chance(settings.reorder) {
            heldForReorder = f
            heldSince = now
            counters.reordered += 1
        } else {
            out.append(f)
            counters.passed += 1
        }
        if chance(settings.duplicate) {
            out.append(f)
            counters.duplicated += 1
        }
        if !out.isEmpty, let held = heldForReorder {
            out.append(held)
            heldForReorder = nil
        }
        return out
    }

    public var nextDeadline: Instant? {
        var d: Instant? = heldForReorder == nil ? nil : heldSince + FaultInjector.reorderHold
        for x in delayed { d = earliest(d, x.due) }
        return d
    }

    /// Frames whose time has come.
    public mutating func tick(now: Instant) -> [[UInt8]] {
        var out: [[UInt8]] = []
        if let held = heldForReorder, heldSince + FaultInjector.reorderHold <= now {
            out.append(held)
            heldForReorder = nil
        }
        if !delayed.isEmpty {
            var keep: [(due: Instant, frame: [UInt8])] = []
            for x in delayed {
                if x.due <= now { out.append(x.frame) } else { keep.append(x) }
            }
            delayed = keep
        }
        return out
    }

    private mutating func chance(_ p: Double) -> Bool {
        p > 0 && Double.random(in: 0..<1, using: &random) < p
    }
}
