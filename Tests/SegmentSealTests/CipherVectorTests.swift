// The hand-written primitives against their standards' test vectors:
// ChaCha20 (RFC 8439 2.3.2, 2.4.2), Poly1305 (2.5.2), the one-time key
// (2.6.2), the AEAD (2.8.2); SHA-256 (FIPS 180-4 examples) and HMAC-SHA-256
// (RFC 4231).

import SegmentSeal
import Testing

func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8.filter { $0 != 32 && $0 != 10 && $0 != 58 })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

func hex(_ b: [UInt8]) -> String {
    b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

@Suite struct CipherVectorTests {
    @Test func chacha20Block() {
        let c = ChaCha20(key: Array(0..<32))
        let block = c.block(counter: 1, nonce: .init(bytes: bytes("00 00 00 09 00 00 00 4a 00 00 00 00")))
        #expect(block == bytes("""
            10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4 c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
            d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2 b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e
            """))
    }

    @Test func chacha20Encryption() {
        let c = ChaCha20(key: Array(0..<32))
        var text = sunscreen
        text.withUnsafeMutableBytes {
            c.apply(counter: 1, nonce: .init(bytes: bytes("00 00 00 00 00 00 00 4a 00 00 00 00")), to: $0)
        }
        #expect(text == bytes("""
            6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
            f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
            07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
            5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d
            """))
    }

    @Test func poly1305() {
        let key = bytes("85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b")
        let tag = Poly1305.tag(key: key, message: Array("Cryptographic Forum Research Group".utf8))
        #expect(tag == bytes("a8:06:1d:c1:30:51:36:c6:c2:2b:8b:af:0c:01:27:a9"))
    }

    /// Fed in pieces of any size, Poly1305 gives the tag of the whole.
    @Test func poly1305InPieces() {
        let key: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let message: [UInt8] = (0..<301).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 3) }
        let whole = Poly1305.tag(key: key, message: message)
        for piece in [1, 3, 15, 16, 17, 64, 300] {
            var p = Poly1305(key: key)
            var i = 0
            while i < message.count {
                p.update(Array(message[i..<min(i + piece, message.count)]))
                i += piece
            }
            #expect(p.finish() == whole, "pieces of \(piece)")
        }
    }

    /// The Poly1305 one-time key is ChaCha20's block 0 (2.6.2's key and
    /// nonce, and 2.8.2's).
    @Test func oneTimeKey() {
        let c = ChaCha20(key: bytes("80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f"))
        let block = c.block(counter: 0, nonce: .init(bytes: bytes("00 00 00 00 00 01 02 03 04 05 06 07")))
        #expect(Array(block.prefix(32)) == bytes("""
            8a d5 a0 8b 90 5f 81 cc 81 50 40 27 4a b2 94 71 a8 33 b6 37 e3 fd 0d a5 08 db b8 e2 fd d1 a6 46
            """))
        let aeadBlock = c.block(counter: 0, nonce: .init(bytes: bytes("07 00 00 00 40 41 42 43 44 45 46 47")))
        #expect(Array(aeadBlock.prefix(32)) == bytes("""
            7b ac 2b 25 2d b4 47 af 09 b6 7a 55 a4 e9 55 84 0a e1 d6 73 10 75 d9 eb 2a 93 75 78 3e d5 53 ff
            """))
    }

    @Test func aead() {
        let aead = ChaCha20Poly1305(key: Array(0x80...0x9f))
        let nonce = ChaCha20.Nonce(bytes: bytes("07 00 00 00 40 41 42 43 44 45 46 47"))
        let aad = bytes("50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7")
        let sealed = aead.seal(nonce: nonce, associated: aad, plaintext: sunscreen)
        #expect(sealed.ciphertext == bytes("""
            d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2 a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
            3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b 1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
            92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58 fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
            3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b 61 16
            """))
        #expect(sealed.tag == bytes("1a:e1:0b:59:4f:09:e2:6a:7e:90:2e:cb:d0:60:06:91"))
        #expect(aead.open(nonce: nonce, associated: aad, ciphertext: sealed.ciphertext, tag: sealed.tag) == sunscreen)
        var wrongTag = sealed.tag
        wrongTag[15] ^= 1
        #expect(aead.open(nonce: nonce, associated: aad, ciphertext: sealed.ciphertext, tag: wrongTag) == nil)
        #expect(aead.open(nonce: nonce, associated: Array(aad.dropLast()), ciphertext: sealed.ciphertext, tag: sealed.tag) == nil)
    }

    @Test func sha256() {
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacSHA256() {
        // RFC 4231, test cases 1 and 2.
        #expect(hex(HMACSHA256(key: [UInt8](repeating: 0x0b, count: 20)).mac(Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(HMACSHA256(key: Array("Jefe".utf8)).mac(Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
