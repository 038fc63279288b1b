// The Data Encryption Standard (FIPS 46), encryption of one block only.
//
// FLIP needs DES for exactly one thing: the one-way function that turns a
// private FLIP address into the public one an endpoint listens on. Amoeba
// computes it as DES-encrypting the zero block under the private address
// used as the key, so a public address can be published without revealing
// the private one. Only encryption is implemented because nothing here ever
// decrypts. Bits are numbered as in the standard: bit 1 is the most
// significant bit of the first byte. The S-boxes are shared with F in
// AmoebaCore; the permutation tables below are the standard's.

import AmoebaCore

enum DES {
    /// Encrypts `block` (8 bytes) under `key` (8 bytes; the low bit of each
    /// byte is parity and ignored, as the standard says).
    static func encrypt(block: [UInt8], key: [UInt8]) -> [UInt8] {
        let subkeys = schedule(pack(key))
        let permuted = permute(pack(block), Tables.initial, width: 64)
        var left = UInt32(truncatingIfNeeded: permuted >> 32)
        var right = UInt32(truncatingIfNeeded: permuted)
        for k in subkeys {
            let next = left ^ feistel(right, k)
            left = right
            right = next
        }
        // The halves are not swapped after the last round.
        let preOutput = UInt64(right) << 32 | UInt64(left)
        return unpack(permute(preOutput, Tables.final, width: 64))
    }

    private static func pack(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        return v
    }

    private static func unpack(_ v: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: v >> UInt64(56 - 8 * i)) }
        return out
    }

    /// Output bit i (1-based, from the most significant end of a
    /// `table.count`-bit result) is input bit `table[i]` of a `width`-bit value.
    private static func permute(_ input: UInt64, _ table: [UInt8], width: Int) -> UInt64 {
        var out: UInt64 = 0
        for position in table {
            let bit = (input >> UInt64(width - Int(position))) & 1
            out = out << 1 | bit
        }
        return out
    }

    private static func schedule(_ key: UInt64) -> [UInt64] {
        let cd = permute(key, Tables.permutedChoice1, width: 64)   // 56 bits
        var c = UInt32(truncatingIfNeeded: cd >> 28) & 0x0FFF_FFFF
        var d = UInt32(truncatingIfNeeded: cd) & 0x0FFF_FFFF
        var keys = [UInt64]()
        keys.reserveCapacity(16)
        for shift in Tables.rotations {
            for _ in 0..<shift {
                c = ((c << 1) | (c >> 27)) & 0x0FFF_FFFF
                d = ((d << 1) | (d >> 27)) & 0x0FFF_FFFF
            }
            keys.append(permute(UInt64(c) << 28 | UInt64(d), Tables.permutedChoice2, width: 56))
        }
        return keys
    }

    private static func feistel(_ right: UInt32, _ subkey: UInt64) -> UInt32 {
        let expanded = permute(UInt64(right), Tables.expansion, width: 32) ^ subkey   // 48 bits
        var out: UInt32 = 0
        for box in 0..<8 {
            let six = Int((expanded >> UInt64(42 - 6 * box)) & 0x3F)
            let row = (six & 0x20) >> 4 | (six & 1)
            let column = (six >> 1) & 0xF
            out = out << 4 | UInt32(DESSBoxes.all[box][row << 4 | column])
        }
        return UInt32(truncatingIfNeeded: permute(UInt64(out), Tables.permutation, width: 32))
    }
}

private enum Tables {
    static let initial: [UInt8] = [
        58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
        62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
        57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
        61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
    ]
    static let final: [UInt8] = [
        40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
        38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
        36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
        34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
    ]
    static let expansion: [UInt8] = [
        32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13,
        12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
        24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
    ]
    static let permutation: [UInt8] = [
        16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
        2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
    ]
    static let permutedChoice1: [UInt8] = [
        57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
        10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
    ]
    static let permutedChoice2: [UInt8] = [
        14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
        23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
        44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
    ]
    static let rotations: [Int] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]
}
