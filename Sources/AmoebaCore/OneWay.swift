// F: Amoeba's 48-bit one-way function.
//
// Everything in Amoeba's protection rests on F: put-ports are F(get-port),
// and restricted capabilities carry F(random XOR rights). It is a DES-shaped
// cipher cut down to a 48-bit block (two 24-bit halves, its own initial
// permutation, expansion and P tables, DES's S-boxes and key schedule) that
// encrypts the zero block under a key made from the port's 48 bits. It must
// match Amoeba 5.3 bit for bit, or no capability we mint would be accepted
// there; the vector F(010203040506) = 0d6e00b12afe pins it in the tests.
//
// The bits live in integer registers rather than arrays, so a call does no
// allocation: servers check restricted capabilities with F on every request.

public enum OneWay {
    /// F(port). The null port maps to itself; no other port maps to null.
    public static func apply(_ port: Port) -> Port {
        if port.isNull { return port }
        var out = encryptZeroBlock(key: keyBits(from: port))
        if out.isNull { out = out.replacing(byte: 0, with: out[0] | 1) }
        return out
    }

    // Bit registers: bit i of a register is element i of the reference's
    // one-bit-per-byte arrays, so every table applies unchanged.

    @inline(__always)
    private static func bit(_ v: UInt64, _ i: UInt8) -> UInt64 { (v >> UInt64(i)) & 1 }

    /// The 64-bit DES key: each 8-bit group takes 6 port bits (least
    /// significant first) and two zero bits in positions 6 and 7.
    private static func keyBits(from port: Port) -> UInt64 {
        var key: UInt64 = 0
        var j: UInt64 = 0
        for i in 0..<64 where i & 7 <= 5 {
            key |= ((port.packed >> j) & 1) << UInt64(i)
            j += 1
        }
        return key
    }

    /// Rotates a 28-bit register so that element i takes element i + n.
    @inline(__always)
    private static func rotate28(_ v: UInt32, by n: Int) -> UInt32 {
        ((v >> UInt32(n)) | (v << UInt32(28 - n))) & 0x0FFF_FFFF
    }

    private static func encryptZeroBlock(key: UInt64) -> Port {
        var c: UInt32 = 0, d: UInt32 = 0
        for i in 0..<28 {
            c |= UInt32(bit(key, Tables.pc1C[i] - 1)) << UInt32(i)
            d |= UInt32(bit(key, Tables.pc1D[i] - 1)) << UInt32(i)
        }
        // The block is zero, and so is any permutation of it.
        var left: UInt64 = 0, right: UInt64 = 0
        for round in 0..<16 {
            c = rotate28(c, by: Tables.shifts[round])
            d = rotate28(d, by: Tables.shifts[round])
            var k: UInt64 = 0
            for j in 0..<24 {
                k |= UInt64((c >> UInt32(Tables.pc2C[j] - 1)) & 1) << UInt64(j)
                k |= UInt64((d >> UInt32(Tables.pc2D[j] - 29)) & 1) << UInt64(j + 24)
            }
            var f: UInt64 = 0
            for s in 0..<8 {
                var six: UInt64 = 0
                for b in 0..<6 {
                    let j = 6 * s + b
                    six |= (bit(right, Tables.e[j]) ^ ((k >> UInt64(j)) & 1)) << UInt64(b)
                }
                // Row from bits 0 and 5, column from bits 1-4, each group
                // read first-bit-most-significant.
                let index = Int(bit(six, 0) << 5 | bit(six, 5) << 4 | bit(six, 1) << 3
                    | bit(six, 2) << 2 | bit(six, 3) << 1 | bit(six, 4))
                let v = UInt64(Tables.sBoxes[s][index])
                for b in 0..<4 { f |= ((v >> UInt64(3 - b)) & 1) << UInt64(4 * s + b) }
            }
            var newRight: UInt64 = 0
            for j in 0..<24 { newRight |= (bit(left, UInt8(j)) ^ bit(f, Tables.p[j])) << UInt64(j) }
            left = right
            right = newRight
        }
        // The halves are swapped before the final permutation.
        let preOutput = right | left << 24
        var out: UInt64 = 0
        for j in 0..<48 { out |= bit(preOutput, Tables.fp[j]) << UInt64(j) }
        return Port(packed: out)
    }
}

/// The constant tables of F. DES's own key schedule and S-boxes; the
/// permutations of the 48-bit block are Amoeba's.
private enum Tables {
    static let ip: [UInt8] = [
        23, 27, 34, 44, 37, 17, 12, 42, 3, 32, 41, 29, 20, 2, 1, 10,
        0, 28, 40, 6, 7, 11, 16, 8, 25, 30, 14, 26, 47, 38, 19, 43,
        18, 5, 35, 39, 36, 21, 4, 45, 24, 22, 13, 33, 31, 9, 15, 46,
    ]
    static let fp: [UInt8] = [
        16, 14, 13, 8, 38, 33, 19, 20, 23, 45, 15, 21, 6, 42, 26, 46,
        22, 5, 32, 30, 12, 37, 41, 0, 40, 24, 27, 1, 17, 11, 25, 44,
        9, 43, 2, 34, 36, 4, 29, 35, 18, 10, 7, 31, 3, 39, 47, 28,
    ]
    static let pc1C: [UInt8] = [
        57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
        10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
    ]
    static let pc1D: [UInt8] = [
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
    ]
    static let shifts: [Int] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]
    static let pc2C: [UInt8] = [
        14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
        23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
    ]
    static let pc2D: [UInt8] = [
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
        44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
    ]
    static let e: [UInt8] = [
        22, 15, 12, 3, 8, 2, 23, 16, 14, 13, 9, 10, 0, 1, 21, 19,
        18, 6, 11, 7, 17, 4, 20, 5, 5, 17, 11, 13, 12, 14, 8, 7,
        19, 22, 18, 9, 3, 4, 1, 6, 16, 2, 20, 15, 10, 23, 0, 21,
    ]
    static let p: [UInt8] = [
        3, 13, 9, 12, 8, 20, 21, 7, 5, 23, 16, 1, 14, 18, 4, 15,
        22, 10, 2, 0, 11, 19, 17, 6,
    ]
    static let sBoxes: [[UInt8]] = DESSBoxes.all
}
