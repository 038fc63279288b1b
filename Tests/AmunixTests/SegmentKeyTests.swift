// The keyed segment's primitives (issue 10, item 6): SHA-256 and HMAC
// against the standard vectors, tags that open only with the right key,
// and a key file made once, 0600.

import Foundation
@testable import AmunixDaemon
import Testing

@Suite struct SegmentKeyTests {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    @Test func sha256Vectors() {
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacVectors() {
        // RFC 4231, test cases 1 and 2.
        #expect(hex(HMACSHA256(key: [UInt8](repeating: 0x0b, count: 20)).mac(Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(HMACSHA256(key: Array("Jefe".utf8)).mac(Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func tagsOpenOnlyWithTheKey() {
        let k = SegmentKey(bytes: [UInt8](repeating: 1, count: 32))
        let other = SegmentKey(bytes: [UInt8](repeating: 2, count: 32))
        let frame: [UInt8] = Array(0..<100)
        let datagram = frame + k.tag(frame)
        #expect(k.open(datagram) == frame)
        #expect(other.open(datagram) == nil)
        var flipped = datagram
        flipped[5] ^= 1
        #expect(k.open(flipped) == nil)
        #expect(k.open(frame) == nil, "an untagged frame is refused")
    }

    @Test func theKeyFileIsMadeOncePrivate() throws {
        let path = NSTemporaryDirectory() + "segkey-\(getpid())"
        defer { unlink(path) }
        unlink(path)
        let a = try SegmentKey.load(path: path)
        let b = try SegmentKey.load(path: path)
        #expect(b.open([1, 2, 3] + a.tag([1, 2, 3])) == [1, 2, 3])
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }
}
