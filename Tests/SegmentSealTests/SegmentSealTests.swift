// The sealed datagram: it opens once, with the key, on time; anything else
// is refused and counted. And the replay table stays bounded.

import SegmentSeal
import Testing

@Suite struct SegmentSealTests {
    let key: [UInt8] = Array(repeating: 7, count: 32)
    let start: UInt64 = 1_764_000_000_000_000   // microseconds since 1970
    let frame: [UInt8] = (0..<1514).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    @Test func aSealedDatagramOpens() throws {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        var b = SegmentSeal(segmentKey: key, senderID: 2, now: start)
        let d = a.seal(frame, now: start + 10)
        #expect(d.count == frame.count + SegmentSeal.overhead)
        #expect(d[0] == SegmentSeal.version)
        #expect(SegmentSeal.sender(of: d.withUnsafeBytes { UnsafeRawBufferPointer($0) }) == 1)
        #expect(try b.open(d, now: start + 20) == frame)
        let small: [UInt8] = Array(frame.prefix(60))
        #expect(try b.open(a.seal(small, now: start + 30), now: start + 40) == small)
        #expect(b.statistics.opened == 2 && b.statistics.refused == 0)
    }

    /// The frame is not in the datagram: not as a whole, nor any 6 bytes
    /// of it (a capability's port).
    @Test func theFrameIsEnciphered() {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        let port: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]
        let f = [UInt8](repeating: 0, count: 40) + port + [UInt8](repeating: 0, count: 40)
        let d = a.seal(f, now: start)
        for i in 0...(d.count - port.count) { #expect(Array(d[i..<(i + port.count)]) != port) }
        #expect(d.filter { $0 == 0 }.count < 20, "zeros of the frame show through")
    }

    @Test func aFlippedBitIsRefused() {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        var b = SegmentSeal(segmentKey: key, senderID: 2, now: start)
        let d = a.seal(frame, now: start)
        // In the header, the ciphertext and the tag.
        for at in [0, 3, 9, 13, 700, d.count - 1] {
            var bad = d
            bad[at] ^= 0x04
            #expect(throws: at == 0 ? SealRefusal.unknownVersion : SealRefusal.badTag) { try b.open(bad, now: start) }
        }
        #expect(b.statistics.badTag == 5 && b.statistics.malformed == 1 && b.statistics.opened == 0)
        #expect(throws: SealRefusal.malformed) { try b.open(Array(d.prefix(SegmentSeal.overhead)), now: start) }
        // The untouched datagram still opens: a refusal leaves no trace.
        #expect(throws: Never.self) { try b.open(d, now: start) }
    }

    @Test func aWrongKeyIsRefused() {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        var stranger = SegmentSeal(segmentKey: Array(repeating: 8, count: 32), senderID: 3, now: start)
        #expect(throws: SealRefusal.badTag) { try stranger.open(a.seal(frame, now: start), now: start) }
        // And an unsealed frame (a daemon without the key) is refused too.
        #expect(throws: SealRefusal.self) { try stranger.open(frame, now: start) }
        #expect(stranger.statistics.refused == 2)
    }

    @Test func aReplayIsRefused() throws {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        var b = SegmentSeal(segmentKey: key, senderID: 2, now: start)
        let recorded = a.seal(frame, now: start + 5)
        _ = try b.open(recorded, now: start + 6)
        #expect(throws: SealRefusal.replayed) { try b.open(recorded, now: start + 7) }
        // Still refused after later datagrams, and long after.
        for i in 0..<300 { _ = try b.open(a.seal(frame, now: start + 10 + UInt64(i)), now: start + 10 + UInt64(i)) }
        #expect(throws: SealRefusal.replayed) { try b.open(recorded, now: start + 1000) }
        #expect(throws: SealRefusal.tooOld) { try b.open(recorded, now: start + 31_000_000) }
        #expect(b.statistics.replayed == 2 && b.statistics.outOfTime == 1)
    }

    /// Datagrams overtaken by later ones are taken once each, within the
    /// window; each is refused a second time.
    @Test func reorderedDatagramsAreTakenOnce() throws {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        var b = SegmentSeal(segmentKey: key, senderID: 2, now: start)
        let sent = (0..<100).map { _ in a.seal(frame, now: start) }
        var got = 0
        for d in sent.reversed() { if (try? b.open(d, now: start)) != nil { got += 1 } }
        #expect(got == 100)
        for d in sent { #expect(throws: SealRefusal.replayed) { try b.open(d, now: start) } }
    }

    @Test func aCounterOutOfTimeIsRefused() {
        var old = SegmentSeal(segmentKey: key, senderID: 1, now: start - 40_000_000)
        var ahead = SegmentSeal(segmentKey: key, senderID: 3, now: start + 40_000_000)
        var b = SegmentSeal(segmentKey: key, senderID: 2, now: start)
        #expect(throws: SealRefusal.tooOld) { try b.open(old.seal(frame, now: start - 40_000_000), now: start) }
        #expect(throws: SealRefusal.tooFarAhead) { try b.open(ahead.seal(frame, now: start + 40_000_000), now: start) }
        #expect(b.statistics.outOfTime == 2)
    }

    /// The counter never goes back, whatever the clock does, and follows
    /// the clock when the sender is quiet.
    @Test func theCounterNeverGoesBack() {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        _ = a.seal(frame, now: start)
        let first = a.counter
        #expect(first > start)
        _ = a.seal(frame, now: start - 5_000_000)
        #expect(a.counter == first + 1)
        _ = a.seal(frame, now: start + 9_000_000)
        #expect(a.counter == start + 9_000_000 - SegmentSeal.counterLag)
        _ = a.seal(frame, now: start + 9_000_001)
        #expect(a.counter == start + 9_000_000 - SegmentSeal.counterLag + 1, "dense while busy")
    }

    /// A receiver started after a datagram was sealed never takes it: a
    /// restarted daemon takes no replay of its past.
    @Test func aRestartedReceiverTakesNoOldDatagram() {
        var a = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        let recorded = a.seal(frame, now: start + 100)
        var restarted = SegmentSeal(segmentKey: key, senderID: 2, now: start + 2_000_000)
        #expect(throws: SealRefusal.replayed) { try restarted.open(recorded, now: start + 2_000_001) }
    }

    /// Key holders cannot grow a receiver's table past its bound; a
    /// forgotten sender's recorded datagrams are still refused.
    @Test func theSenderTableIsBounded() throws {
        var b = SegmentSeal(segmentKey: key, senderID: 0, now: start, senderCapacity: 8)
        var firstSender = SegmentSeal(segmentKey: key, senderID: 1, now: start)
        let recorded = firstSender.seal(frame, now: start + 1)
        _ = try b.open(recorded, now: start + 1)
        for id in 2...40 as ClosedRange<UInt32> {
            var s = SegmentSeal(segmentKey: key, senderID: id, now: start + UInt64(id) * 10)
            _ = try b.open(s.seal(frame, now: start + UInt64(id) * 10), now: start + UInt64(id) * 10)
        }
        #expect(b.statistics.sendersForgotten == 32)
        #expect(throws: SealRefusal.replayed) { try b.open(recorded, now: start + 500) }
        // A sender that starts now is heard.
        var late = SegmentSeal(segmentKey: key, senderID: 99, now: start + 600)
        #expect(throws: Never.self) { try b.open(late.seal(frame, now: start + 600), now: start + 600) }
    }

    @Test func theReplayGuardsWindowEdges() {
        var g = ReplayGuard(floor: start, capacity: 4)
        let c = start + 1000
        #expect(g.admit(sender: 5, counter: c, now: c) == .fresh)
        #expect(g.admit(sender: 5, counter: c + 200, now: c) == .fresh)
        #expect(g.admit(sender: 5, counter: c + 200 - 127, now: c) == .fresh)
        #expect(g.admit(sender: 5, counter: c + 200 - 128, now: c) == .replayed, "below the window")
        #expect(g.admit(sender: 5, counter: c + 200 - 64, now: c) == .fresh)
        #expect(g.admit(sender: 5, counter: c + 200 - 64, now: c) == .replayed)
        #expect(g.admit(sender: 5, counter: c + 264, now: c) == .fresh)
        #expect(g.admit(sender: 5, counter: c + 200, now: c) == .replayed, "remembered across a 64-bit shift")
        #expect(g.admit(sender: 5, counter: c + 200 - 64, now: c) == .replayed, "now below the window")
        #expect(g.admit(sender: 5, counter: c + 201, now: c) == .fresh)
        #expect(g.senderCount == 1)
    }
}
