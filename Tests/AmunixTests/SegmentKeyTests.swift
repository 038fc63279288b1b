// The keyed segment's key file and the seal made from it (issue 10, item
// 6): made once, 0600; seals from one file open each other's datagrams and
// nobody else's; the largest frame still fits a datagram slot. The
// primitives' vectors are in Tests/SegmentSealTests.

import Foundation
@testable import AmunixDaemon
import SegmentSeal
import Testing

@Suite struct SegmentKeyTests {
    @Test func sealsOpenOnlyWithTheKey() throws {
        let k = SegmentKey(bytes: [UInt8](repeating: 1, count: 32))
        let other = SegmentKey(bytes: [UInt8](repeating: 2, count: 32))
        let now = SealClock.microseconds
        var a = k.makeSeal(now: now), b = k.makeSeal(now: now), stranger = other.makeSeal(now: now)
        #expect(a.senderID != b.senderID, "each seal draws its own sender id")
        let frame: [UInt8] = Array(0..<100)
        let datagram = a.seal(frame, now: now + 1)
        #expect(try b.open(datagram, now: now + 2) == frame)
        #expect(throws: SealRefusal.badTag) { try stranger.open(datagram, now: now + 2) }
        #expect(throws: SealRefusal.self) { try b.open(frame, now: now + 2) }
    }

    @Test func theKeyFileIsMadeOncePrivate() throws {
        let path = NSTemporaryDirectory() + "segkey-\(getpid())"
        defer { unlink(path) }
        unlink(path)
        let a = try SegmentKey.load(path: path)
        let b = try SegmentKey.load(path: path)
        #expect(a.bytes == b.bytes && a.bytes.count == 32)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    /// A maximal FLIP frame (1514 bytes) sealed still fits the batch's
    /// slot and a UDP datagram: nothing truncates it on the way in.
    @Test func theLargestFrameFitsSealed() {
        #expect(1514 + SegmentSeal.overhead <= FrameBatch.frameRoom)
        #expect(SegmentSeal.overhead == 29)
    }
}
