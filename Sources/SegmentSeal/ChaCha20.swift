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
// locals and XORed straight into the text: the cipher runs over every byte
// of every datagram sent or received, so its state never touches an array.

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
        out.withUnsafeMutableBytes { xorBlock(counter: counter, nonce: nonce, into: $0, at: 0) }
        return out
    }

    /// The first 32 bytes of a keystream block as eight little-endian
    /// words, without an array: the AEAD's Poly1305 key.
    func keyWords(counter: UInt32, nonce: Nonce) -> (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) {
        var b: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &b) { p in
            xorBlock(counter: counter, nonce: nonce, into: p, at: 0)
            func word(_ i: Int) -> UInt32 { UInt32(littleEndian: p.load(fromByteOffset: 4 * i, as: UInt32.self)) }
            return (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
        }
    }

    /// XORs the keystream starting at block `counter` into `bytes` in
    /// place: encryption and decryption alike.
    public func apply(counter: UInt32, nonce: Nonce, to bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        var counter = counter
        let count = bytes.count
        while count - offset >= ChaCha20.blockSize {
            xorBlock(counter: counter, nonce: nonce, into: bytes, at: offset)
            offset += ChaCha20.blockSize
            counter &+= 1
        }
        guard offset < count else { return }
        // The last, partial block: through a block of zeros.
        var tail: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tail) { t in
            t.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<count]))
            xorBlock(counter: counter, nonce: nonce, into: t, at: 0)
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: t[0..<(count - offset)]))
        }
    }

    /// XORs one whole keystream block into the 64 bytes at `offset`; the
    /// block's words go straight from the rounds' locals to the bytes.
    @inline(__always)
    private func xorBlock(counter: UInt32, nonce: Nonce, into p: UnsafeMutableRawBufferPointer, at offset: Int) {
        var x0: UInt32 = 0x6170_7865, x1: UInt32 = 0x3320_646e, x2: UInt32 = 0x7962_2d32, x3: UInt32 = 0x6b20_6574
        var x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7
        var x12 = counter, x13 = nonce.n0, x14 = nonce.n1, x15 = nonce.n2
        for _ in 0..<10 {
            quarterRound(&x0, &x4, &x8, &x12); quarterRound(&x1, &x5, &x9, &x13)
            quarterRound(&x2, &x6, &x10, &x14); quarterRound(&x3, &x7, &x11, &x15)
            quarterRound(&x0, &x5, &x10, &x15); quarterRound(&x1, &x6, &x11, &x12)
            quarterRound(&x2, &x7, &x8, &x13); quarterRound(&x3, &x4, &x9, &x14)
        }
        @inline(__always) func put(_ i: Int, _ v: UInt32) {
            let at = offset + 4 * i
            let old = p.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            p.storeBytes(of: old ^ v.littleEndian, toByteOffset: at, as: UInt32.self)
        }
        put(0, x0 &+ 0x6170_7865); put(1, x1 &+ 0x3320_646e); put(2, x2 &+ 0x7962_2d32); put(3, x3 &+ 0x6b20_6574)
        put(4, x4 &+ k0); put(5, x5 &+ k1); put(6, x6 &+ k2); put(7, x7 &+ k3)
        put(8, x8 &+ k4); put(9, x9 &+ k5); put(10, x10 &+ k6); put(11, x11 &+ k7)
        put(12, x12 &+ counter); put(13, x13 &+ nonce.n0); put(14, x14 &+ nonce.n1); put(15, x15 &+ nonce.n2)
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
