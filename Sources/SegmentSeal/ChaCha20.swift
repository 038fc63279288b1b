// The ChaCha20 stream cipher (RFC 8439, section 2.3-2.4): the cipher half of
// the seal on a keyed segment's datagrams.
//
// Written out by hand, as Poly1305 and SHA-256 beside it: this module is
// meant to be imported by a kernel node too, and the kernel is Embedded
// Swift, which can use neither swift-crypto nor any C library. So it stays
// Embedded-clean (no Foundation, no existentials) and is checked against
// the RFC's test vectors (Tests/SegmentSealTests).
//
// The key and nonce are kept as words and the block is computed in sixteen
// locals: the cipher runs once per byte of every datagram sent or received,
// so its state never touches an array.

public struct ChaCha20: Sendable {
    /// Bytes in a key and in a nonce.
    public static let keySize = 32
    public static let nonceSize = 12
    /// Bytes of keystream per block (per counter value).
    public static let blockSize = 64

    private let k0, k1, k2, k3, k4, k5, k6, k7: UInt32

    /// `key` must be 32 bytes.
    public init(key: [UInt8]) {
        precondition(key.count == ChaCha20.keySize, "a ChaCha20 key is 32 bytes")
        k0 = littleEndianWord(key, 0); k1 = littleEndianWord(key, 4)
        k2 = littleEndianWord(key, 8); k3 = littleEndianWord(key, 12)
        k4 = littleEndianWord(key, 16); k5 = littleEndianWord(key, 20)
        k6 = littleEndianWord(key, 24); k7 = littleEndianWord(key, 28)
    }

    /// One 64-byte keystream block (the RFC's chacha20_block).
    public func block(counter: UInt32, nonce: Nonce) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ChaCha20.blockSize)
        out.withUnsafeMutableBytes { p in
            let w = self.words(counter: counter, nonce: nonce)
            for i in 0..<16 { p.storeBytes(of: w[i].littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        return out
    }

    /// XORs the keystream starting at block `counter` into `bytes` in
    /// place: encryption and decryption alike.
    public func apply(counter: UInt32, nonce: Nonce, to bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        var counter = counter
        let count = bytes.count
        while offset < count {
            let w = words(counter: counter, nonce: nonce)
            let n = min(ChaCha20.blockSize, count - offset)
            if n == ChaCha20.blockSize {
                // A whole block: a word at a time.
                for i in 0..<16 {
                    let at = offset + 4 * i
                    let v = bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)
                    bytes.storeBytes(of: v ^ w[i].littleEndian, toByteOffset: at, as: UInt32.self)
                }
            } else {
                for i in 0..<n {
                    let key = UInt8(truncatingIfNeeded: w[i >> 2] >> UInt32(8 * (i & 3)))
                    bytes[offset + i] ^= key
                }
            }
            offset += n
            counter &+= 1
        }
    }

    /// The sixteen words of one block, in a tuple-backed buffer.
    @inline(__always)
    func words(counter: UInt32, nonce: Nonce) -> Words {
        var x0: UInt32 = 0x6170_7865, x1: UInt32 = 0x3320_646e, x2: UInt32 = 0x7962_2d32, x3: UInt32 = 0x6b20_6574
        var x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7
        var x12 = counter, x13 = nonce.n0, x14 = nonce.n1, x15 = nonce.n2
        for _ in 0..<10 {
            // A column round, then a diagonal round.
            quarterRound(&x0, &x4, &x8, &x12); quarterRound(&x1, &x5, &x9, &x13)
            quarterRound(&x2, &x6, &x10, &x14); quarterRound(&x3, &x7, &x11, &x15)
            quarterRound(&x0, &x5, &x10, &x15); quarterRound(&x1, &x6, &x11, &x12)
            quarterRound(&x2, &x7, &x8, &x13); quarterRound(&x3, &x4, &x9, &x14)
        }
        return Words(
            x0 &+ 0x6170_7865, x1 &+ 0x3320_646e, x2 &+ 0x7962_2d32, x3 &+ 0x6b20_6574,
            x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3, x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7,
            x12 &+ counter, x13 &+ nonce.n0, x14 &+ nonce.n1, x15 &+ nonce.n2)
    }

    /// A ChaCha20 nonce: 96 bits as three little-endian words.
    public struct Nonce: Sendable, Equatable {
        let n0, n1, n2: UInt32
        /// `bytes` must be 12 bytes.
        public init(bytes: [UInt8]) {
            precondition(bytes.count == ChaCha20.nonceSize, "a ChaCha20 nonce is 12 bytes")
            n0 = littleEndianWord(bytes, 0); n1 = littleEndianWord(bytes, 4); n2 = littleEndianWord(bytes, 8)
        }
        init(_ n0: UInt32, _ n1: UInt32, _ n2: UInt32) { (self.n0, self.n1, self.n2) = (n0, n1, n2) }
    }

    /// Sixteen words without a heap allocation.
    struct Words {
        private var w: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        @inline(__always)
        init(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: UInt32,
             _ i: UInt32, _ j: UInt32, _ k: UInt32, _ l: UInt32, _ m: UInt32, _ n: UInt32, _ o: UInt32, _ p: UInt32) {
            w = (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)
        }
        @inline(__always)
        subscript(i: Int) -> UInt32 {
            withUnsafeBytes(of: w) { $0.load(fromByteOffset: 4 * i, as: UInt32.self) }
        }
    }
}

@inline(__always)
private func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
    a &+= b; d ^= a; d = d << 16 | d >> 16
    c &+= d; b ^= c; b = b << 12 | b >> 20
    a &+= b; d ^= a; d = d << 8 | d >> 24
    c &+= d; b ^= c; b = b << 7 | b >> 25
}

/// The little-endian word at `offset` of `bytes`.
@inline(__always)
func littleEndianWord(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}
