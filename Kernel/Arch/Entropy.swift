// Random numbers for the kernel: hash seeds, ports, check fields. RDRAND
// when the CPU has it, mixed with the time-stamp counter through a
// xorshift generator, so the stream is never constant even without it.

enum Entropy {
    static var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    static var hasRDRAND = false

    static func detect() {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        cpu_cpuid(1, &a, &b, &c, &d)
        hasRDRAND = c & (1 << 30) != 0
        stir()
    }

    static func stir() {
        state ^= cpu_rdtsc() &* 0x2545_F491_4F6C_DD1D
        if hasRDRAND {
            var v: UInt32 = 0
            for _ in 0..<10 where cpu_rdrand(&v) != 0 {
                state ^= UInt64(v) << 17
                break
            }
        }
    }

    static func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    static func nextByte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 24) }
}
