// The key file's text: what amunixd and a kernel node both accept as the
// segment's key, and what they both refuse.

import SegmentSeal
import Testing

@Suite struct SegmentKeyFileTests {
    let digits = String(repeating: "0123456789abcdef", count: 4)

    @Test func sixtyFourHexDigitsAndALineEnd() throws {
        let key = try SegmentKeyFile.key(from: Array((digits + "\n").utf8))
        #expect(key.count == 32)
        #expect(Array(key[0..<8]) == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
    }

    @Test func spacesLineEndsAndCaseDoNotMatter() throws {
        let spaced = " " + digits.uppercased().prefix(32) + "\r\n" + digits.suffix(32) + " \n"
        #expect(try SegmentKeyFile.key(from: Array(spaced.utf8)) == SegmentKeyFile.key(from: Array(digits.utf8)))
    }

    @Test func otherBytesAreNoKey() {
        #expect(throws: SegmentKeyFile.Defect.notHex) { try SegmentKeyFile.key(from: Array(("zz" + digits.dropFirst(2)).utf8)) }
        #expect(throws: SegmentKeyFile.Defect.notHex) { try SegmentKeyFile.key(from: Array(("+f" + digits.dropFirst(2)).utf8)) }
        #expect(throws: SegmentKeyFile.Defect.notHex) { try SegmentKeyFile.key(from: Array((digits + "\t").utf8)) }
    }

    @Test func anyOtherNumberOfDigitsIsNoKey() {
        #expect(throws: SegmentKeyFile.Defect.wrongLength(digits: 63)) { try SegmentKeyFile.key(from: Array(digits.dropLast().utf8)) }
        #expect(throws: SegmentKeyFile.Defect.wrongLength(digits: 66)) { try SegmentKeyFile.key(from: Array((digits + "00").utf8)) }
        #expect(throws: SegmentKeyFile.Defect.wrongLength(digits: 0)) { try SegmentKeyFile.key(from: Array("\n".utf8)) }
    }
}
