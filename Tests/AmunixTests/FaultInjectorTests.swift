// The fault injector: seeded (same seed, same faults), each fault does what
// it says, and nothing is held back forever.

import AmoebaCore
import AmunixDaemon
import Testing

@Suite struct FaultInjectorTests {
    func frames(_ n: Int) -> [[UInt8]] {
        (0..<n).map { i in [UInt8](repeating: 0, count: 14) + [UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)] }
    }

    func run(_ settings: FaultSettings, _ input: [[UInt8]]) -> [[UInt8]] {
        var inj = FaultInjector(settings)
        var out: [[UInt8]] = []
        var t = Instant.zero
        for f in input {
            out += inj.process(f, now: t)
            t = t + .microseconds(100)
            out += inj.tick(now: t)
        }
        // Let everything still held go out.
        t = t + .seconds(1)
        out += inj.tick(now: t)
        #expect(inj.nextDeadline == nil)
        return out
    }

    @Test func inactiveIsTransparent() {
        let input = frames(100)
        #expect(run(.none, input) == input)
    }

    @Test func sameSeedSameFaults() {
        var s = FaultSettings()
        s.drop = 0.2; s.duplicate = 0.2; s.reorder = 0.2; s.corrupt = 0.05; s.delay = 0.1
        s.seed = 5
        let input = frames(2000)
        #expect(run(s, input) == run(s, input))
        var other = s
        other.seed = 6
        #expect(run(s, input) != run(other, input))
    }

    @Test func dropsAboutTheRateAsked() {
        var s = FaultSettings()
        s.drop = 0.2
        let out = run(s, frames(10000))
        #expect(out.count > 7700 && out.count < 8300)
    }

    @Test func duplicatesAndReorders() {
        var s = FaultSettings()
        s.duplicate = 0.2
        s.reorder = 0.2
        let input = frames(5000)
        let out = run(s, input)
        #expect(out.count > 5800 && out.count < 6200)
        // Nothing lost: every frame is there at least once.
        #expect(Set(out) == Set(input))
        // And some came out of order.
        var inversions = 0
        for i in 1..<out.count where out[i][14...] .lexicographicallyPrecedes(out[i - 1][14...]) && out[i][15] <= out[i - 1][15] { inversions += 1 }
        #expect(inversions > 100)
    }

    @Test func corruptsOnlyPastTheEthernetHeader() {
        var s = FaultSettings()
        s.corrupt = 1
        let input = frames(500)
        let out = run(s, input)
        #expect(out.count == 500)
        for (a, b) in zip(input, out) {
            #expect(a[0..<14] == b[0..<14])
            #expect(a != b)
        }
    }
}
