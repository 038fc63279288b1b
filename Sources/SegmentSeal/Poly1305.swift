// The Poly1305 one-time authenticator (RFC 8439, section 2.5): the tag half
// of the seal on a keyed segment's datagrams. Hand-written for the reason
// given in ChaCha20.swift (Embedded Swift, no crypto library).
//
// The accumulator is kept modulo 2^130 - 5 in five 26-bit limbs, so that
// each product of a limb and a limb of r fits a UInt64 with room for the
// five sums; 2^130 = 5 (mod p) folds the top back into the bottom.

public struct Poly1305: Sendable {
    public static let keySize = 32
    public static let tagSize = 16

    private static let mask26: UInt32 = 0x03ff_ffff

    // r (clamped) in limbs, and 5 r for the folded products.
    private let r0, r1, r2, r3, r4: UInt32
    private let s1, s2, s3, s4: UInt32
    // s, the half of the key added at the end.
    private let p0, p1, p2, p3: UInt32
    private var h0: UInt32 = 0, h1: UInt32 = 0, h2: UInt32 = 0, h3: UInt32 = 0, h4: UInt32 = 0
    // A block not yet complete, and how many of its bytes are there.
    private var pending: (UInt64, UInt64) = (0, 0)
    private var pendingCount = 0

    /// `key` must be 32 bytes and used for one message only.
    public init(key: [UInt8]) {
        precondition(key.count == Poly1305.keySize, "a Poly1305 key is 32 bytes")
        self.init(littleEndianWord(key, 0), littleEndianWord(key, 4), littleEndianWord(key, 8), littleEndianWord(key, 12),
                  littleEndianWord(key, 16), littleEndianWord(key, 20), littleEndianWord(key, 24), littleEndianWord(key, 28))
    }

    /// The key as eight little-endian words (r, then s).
    init(_ w0: UInt32, _ w1: UInt32, _ w2: UInt32, _ w3: UInt32, _ w4: UInt32, _ w5: UInt32, _ w6: UInt32, _ w7: UInt32) {
        // Clamp r: the top four bits of each word and the bottom two of
        // the upper three words are cleared.
        let t0 = w0 & 0x0fff_ffff, t1 = w1 & 0x0fff_fffc, t2 = w2 & 0x0fff_fffc, t3 = w3 & 0x0fff_fffc
        r0 = t0 & Poly1305.mask26
        r1 = (t0 >> 26 | t1 << 6) & Poly1305.mask26
        r2 = (t1 >> 20 | t2 << 12) & Poly1305.mask26
        r3 = (t2 >> 14 | t3 << 18) & Poly1305.mask26
        r4 = t3 >> 8
        s1 = r1 &* 5; s2 = r2 &* 5; s3 = r3 &* 5; s4 = r4 &* 5
        (p0, p1, p2, p3) = (w4, w5, w6, w7)
    }

    /// Takes in the next bytes of the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        if pendingCount > 0 {
            while pendingCount < 16 && i < n { addPending(bytes[i]); i += 1 }
            if pendingCount < 16 { return }
            absorb(pending.0, pending.1, top: 1 << 24)
            pending = (0, 0)
            pendingCount = 0
        }
        if n - i >= 16 {
            // The accumulator in locals for the run of whole blocks.
            var (a0, a1, a2, a3, a4) = (h0, h1, h2, h3, h4)
            while n - i >= 16 {
                multiply(&a0, &a1, &a2, &a3, &a4,
                         bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian,
                         bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self).littleEndian, top: 1 << 24)
                i += 16
            }
            (h0, h1, h2, h3, h4) = (a0, a1, a2, a3, a4)
        }
        while i < n { addPending(bytes[i]); i += 1 }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Fills a partial block with zero bytes and takes it in whole: the
    /// AEAD construction's pad16.
    public mutating func padToBlock() {
        guard pendingCount > 0 else { return }
        absorb(pending.0, pending.1, top: 1 << 24)
        pending = (0, 0)
        pendingCount = 0
    }

    /// The 16-byte tag.
    public mutating func finish() -> [UInt8] {
        if pendingCount > 0 {
            // The last, short block: a 1 byte after the message, no 2^128.
            addPending(1)
            absorb(pending.0, pending.1, top: 0)
            pendingCount = 0
        }
        let mask = Poly1305.mask26
        // Carry fully, so each limb is below 2^26 and h below 2^130 + small.
        var c: UInt32
        c = h1 >> 26; h1 &= mask; h2 &+= c
        c = h2 >> 26; h2 &= mask; h3 &+= c
        c = h3 >> 26; h3 &= mask; h4 &+= c
        c = h4 >> 26; h4 &= mask; h0 &+= c &* 5
        c = h0 >> 26; h0 &= mask; h1 &+= c
        // g = h + 5 - 2^130; h is reduced iff that does not go negative.
        var g0 = h0 &+ 5; c = g0 >> 26; g0 &= mask
        var g1 = h1 &+ c; c = g1 >> 26; g1 &= mask
        var g2 = h2 &+ c; c = g2 >> 26; g2 &= mask
        var g3 = h3 &+ c; c = g3 >> 26; g3 &= mask
        let g4 = h4 &+ c &- (1 << 26)
        let takeG = (g4 >> 31) &- 1          // all ones when g4 >= 0
        let f0 = (h0 & ~takeG) | (g0 & takeG), f1 = (h1 & ~takeG) | (g1 & takeG)
        let f2 = (h2 & ~takeG) | (g2 & takeG), f3 = (h3 & ~takeG) | (g3 & takeG)
        let f4 = (h4 & ~takeG) | (g4 & takeG)
        // Back to four 32-bit words, plus s, modulo 2^128.
        var sum = UInt64(f0 | f1 << 26) &+ UInt64(p0)
        let o0 = UInt32(truncatingIfNeeded: sum)
        sum = UInt64(f1 >> 6 | f2 << 20) &+ UInt64(p1) &+ (sum >> 32)
        let o1 = UInt32(truncatingIfNeeded: sum)
        sum = UInt64(f2 >> 12 | f3 << 14) &+ UInt64(p2) &+ (sum >> 32)
        let o2 = UInt32(truncatingIfNeeded: sum)
        sum = UInt64(f3 >> 18 | f4 << 8) &+ UInt64(p3) &+ (sum >> 32)
        let o3 = UInt32(truncatingIfNeeded: sum)
        var tag = [UInt8](repeating: 0, count: Poly1305.tagSize)
        tag.withUnsafeMutableBytes { t in
            t.storeBytes(of: o0.littleEndian, toByteOffset: 0, as: UInt32.self)
            t.storeBytes(of: o1.littleEndian, toByteOffset: 4, as: UInt32.self)
            t.storeBytes(of: o2.littleEndian, toByteOffset: 8, as: UInt32.self)
            t.storeBytes(of: o3.littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        return tag
    }

    /// The tag of `message` under `key`, in one go.
    public static func tag(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var p = Poly1305(key: key)
        p.update(message)
        return p.finish()
    }

    private mutating func addPending(_ b: UInt8) {
        if pendingCount < 8 {
            pending.0 |= UInt64(b) << UInt64(8 * pendingCount)
        } else {
            pending.1 |= UInt64(b) << UInt64(8 * (pendingCount - 8))
        }
        pendingCount += 1
    }

    private mutating func absorb(_ lo: UInt64, _ hi: UInt64, top: UInt32) {
        var (a0, a1, a2, a3, a4) = (h0, h1, h2, h3, h4)
        multiply(&a0, &a1, &a2, &a3, &a4, lo, hi, top: top)
        (h0, h1, h2, h3, h4) = (a0, a1, a2, a3, a4)
    }

    /// h = (h + block) * r mod 2^130 - 5, for one 16-byte block given as
    /// two little-endian halves; `top` is the bit above the block (2^128,
    /// in limb 4) for a full block.
    @inline(__always)
    private func multiply(_ h0: inout UInt32, _ h1: inout UInt32, _ h2: inout UInt32, _ h3: inout UInt32, _ h4: inout UInt32,
                          _ lo: UInt64, _ hi: UInt64, top: UInt32) {
        let mask = Poly1305.mask26
        h0 &+= UInt32(truncatingIfNeeded: lo) & mask
        h1 &+= UInt32(truncatingIfNeeded: lo >> 26) & mask
        h2 &+= UInt32(truncatingIfNeeded: lo >> 52 | hi << 12) & mask
        h3 &+= UInt32(truncatingIfNeeded: hi >> 14) & mask
        h4 &+= UInt32(truncatingIfNeeded: hi >> 40) | top

        let a0 = UInt64(h0), a1 = UInt64(h1), a2 = UInt64(h2), a3 = UInt64(h3), a4 = UInt64(h4)
        let b0 = UInt64(r0), b1 = UInt64(r1), b2 = UInt64(r2), b3 = UInt64(r3), b4 = UInt64(r4)
        let f1 = UInt64(s1), f2 = UInt64(s2), f3 = UInt64(s3), f4 = UInt64(s4)
        let d0 = a0 &* b0 &+ a1 &* f4 &+ a2 &* f3 &+ a3 &* f2 &+ a4 &* f1
        var d1 = a0 &* b1 &+ a1 &* b0 &+ a2 &* f4 &+ a3 &* f3 &+ a4 &* f2
        var d2 = a0 &* b2 &+ a1 &* b1 &+ a2 &* b0 &+ a3 &* f4 &+ a4 &* f3
        var d3 = a0 &* b3 &+ a1 &* b2 &+ a2 &* b1 &+ a3 &* b0 &+ a4 &* f4
        var d4 = a0 &* b4 &+ a1 &* b3 &+ a2 &* b2 &+ a3 &* b1 &+ a4 &* b0

        // A partial carry: enough to keep every limb below 2^27.
        let m = UInt64(mask)
        d1 &+= d0 >> 26; h0 = UInt32(truncatingIfNeeded: d0 & m)
        d2 &+= d1 >> 26; h1 = UInt32(truncatingIfNeeded: d1 & m)
        d3 &+= d2 >> 26; h2 = UInt32(truncatingIfNeeded: d2 & m)
        d4 &+= d3 >> 26; h3 = UInt32(truncatingIfNeeded: d3 & m)
        let carry = d4 >> 26; h4 = UInt32(truncatingIfNeeded: d4 & m)
        let folded = UInt64(h0) &+ carry &* 5
        h0 = UInt32(truncatingIfNeeded: folded & m)
        h1 &+= UInt32(truncatingIfNeeded: folded >> 26)
    }
}
