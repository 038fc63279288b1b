// ChaCha20-Poly1305 authenticated encryption with associated data (RFC
// 8439, section 2.8), built from the two hand-written halves beside it
// (see ChaCha20.swift for why they are hand-written).
//
// The Poly1305 key is the first half of ChaCha20's block 0 under the
// nonce; the text is enciphered from block 1. The tag covers the
// associated data and the ciphertext, each padded to 16 bytes, then both
// lengths. Opening checks the tag before it deciphers anything.

public struct ChaCha20Poly1305: Sendable {
    public static let tagSize = Poly1305.tagSize
    private let cipher: ChaCha20

    /// `key` must be 32 bytes.
    public init(key: [UInt8]) { cipher = ChaCha20(key: key) }

    /// Enciphers `text` in place and writes the 16-byte tag to `tag`.
    public func seal(nonce: ChaCha20.Nonce, associated: UnsafeRawBufferPointer,
                     text: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) {
        cipher.apply(counter: 1, nonce: nonce, to: text)
        let t = authenticator(nonce: nonce, associated: associated, ciphertext: UnsafeRawBufferPointer(text))
        for i in 0..<ChaCha20Poly1305.tagSize { tag[i] = t[i] }
    }

    /// Deciphers `text` in place if `tag` is its tag; false, and `text`
    /// untouched, otherwise. The comparison takes the same time wherever
    /// the tags differ.
    public func open(nonce: ChaCha20.Nonce, associated: UnsafeRawBufferPointer,
                     text: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
        guard tag.count == ChaCha20Poly1305.tagSize else { return false }
        let expected = authenticator(nonce: nonce, associated: associated, ciphertext: UnsafeRawBufferPointer(text))
        var difference: UInt8 = 0
        for i in 0..<ChaCha20Poly1305.tagSize { difference |= expected[i] ^ tag[i] }
        guard difference == 0 else { return false }
        cipher.apply(counter: 1, nonce: nonce, to: text)
        return true
    }

    /// The ciphertext and tag of `plaintext`.
    public func seal(nonce: ChaCha20.Nonce, associated: [UInt8], plaintext: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8]) {
        var text = plaintext
        var tag = [UInt8](repeating: 0, count: ChaCha20Poly1305.tagSize)
        associated.withUnsafeBytes { a in
            text.withUnsafeMutableBytes { t in
                tag.withUnsafeMutableBytes { seal(nonce: nonce, associated: a, text: t, tag: $0) }
            }
        }
        return (text, tag)
    }

    /// The plaintext of `ciphertext`, or nil if `tag` is not its tag.
    public func open(nonce: ChaCha20.Nonce, associated: [UInt8], ciphertext: [UInt8], tag: [UInt8]) -> [UInt8]? {
        var text = ciphertext
        let ok = associated.withUnsafeBytes { a in
            text.withUnsafeMutableBytes { t in
                tag.withUnsafeBytes { open(nonce: nonce, associated: a, text: t, tag: $0) }
            }
        }
        return ok ? text : nil
    }

    private func authenticator(nonce: ChaCha20.Nonce, associated: UnsafeRawBufferPointer,
                               ciphertext: UnsafeRawBufferPointer) -> [UInt8] {
        let k = cipher.keyWords(counter: 0, nonce: nonce)
        var mac = Poly1305(k.0, k.1, k.2, k.3, k.4, k.5, k.6, k.7)
        mac.update(associated)
        mac.padToBlock()
        mac.update(ciphertext)
        mac.padToBlock()
        let lengths = (UInt64(associated.count).littleEndian, UInt64(ciphertext.count).littleEndian)
        withUnsafeBytes(of: lengths) { mac.update($0) }
        return mac.finish()
    }
}
