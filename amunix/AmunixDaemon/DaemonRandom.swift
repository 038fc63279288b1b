// Where amunixd's randomness comes from: capabilities, ports, link MACs,
// kernel ids and the random server's bytes.
//
// Normally every draw is the operating system's CSPRNG (Swift's system
// generator, getrandom(2) on Linux): no secret is ever derived from
// another through a guessable generator. With `--seed` (tests and
// reproducible runs) a seeded generator stands in, and nothing it makes
// is secret.

public struct DaemonRandom: RandomNumberGenerator {
    private var seeded: SeededGenerator?
    private var system = SystemRandomNumberGenerator()

    /// The system CSPRNG, or a seeded stand-in when `seed` is given.
    public init(seed: UInt64?) {
        seeded = seed.map { SeededGenerator(seed: $0) }
    }

    public var isSeeded: Bool { seeded != nil }

    public mutating func next() -> UInt64 {
        if seeded != nil { return seeded!.next() }
        return system.next()
    }
}
