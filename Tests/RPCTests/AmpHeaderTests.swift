import Testing
import AmoebaCore
import FLIP
@testable import RPC

@Suite struct AmpHeaderTests {
    let sample = AmpHeader(kid: FLIPAddress(hex: "0102030405060708")!, port: Port(hex: "a1a2a3a4a5a6")!,
                           type: .request, flags: .retransmission, tid: 0x1122_3344, dest: 0x0506, from: 0x0708)

    @Test func layoutLittleEndian() throws {
        let b = sample.encoded()
        #expect(b.count == 24)
        #expect(Array(b[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(b[8..<14]) == [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6])
        #expect(b[14] == 3)
        #expect(b[15] == 0x02)
        #expect(Array(b[16..<24]) == [0x44, 0x33, 0x22, 0x11, 0x06, 0x05, 0x08, 0x07])
        #expect(try AmpHeader.decode(b) == sample)
    }

    @Test func bigEndianSendersAreUnderstood() throws {
        let b = sample.encoded(order: .big)
        #expect(b[15] == 0x03)
        #expect(Array(b[16..<24]) == [0x11, 0x22, 0x33, 0x44, 0x05, 0x06, 0x07, 0x08])
        var expected = sample
        expected.flags.insert(.bigEndian)
        #expect(try AmpHeader.decode(b) == expected)
    }

    @Test func badInputIsRefused() {
        let b = sample.encoded()
        #expect(throws: AmpDecodeError.truncated) { try AmpHeader.decode(Array(b.prefix(23))) }
        var bad = b
        bad[14] = 12
        #expect(throws: AmpDecodeError.unknownType(12)) { try AmpHeader.decode(bad) }
        bad[14] = 0
        #expect(throws: AmpDecodeError.unknownType(0)) { try AmpHeader.decode(bad) }
    }
}

@Suite struct TransactionLedgerTests {
    let a = FLIPAddress(hex: "0a00000000000001")!
    let b = FLIPAddress(hex: "0b00000000000002")!
    let c = FLIPAddress(hex: "0c00000000000003")!

    @Test func newThenExecuted() {
        var l = TransactionLedger(capacity: 4, window: 64, buckets: 16)
        #expect(l.verdict(kid: a, tid: 7) == .new)
        l.record(kid: a, tid: 7)
        #expect(l.verdict(kid: a, tid: 7) == .executed)
        #expect(l.verdict(kid: a, tid: 8) == .new)
        #expect(l.verdict(kid: a, tid: 6) == .new)
        #expect(l.verdict(kid: b, tid: 7) == .new)
    }

    @Test func outOfOrderTidsWithinTheWindowAllRun() {
        var l = TransactionLedger(capacity: 4, window: 128, buckets: 16)
        for tid in [UInt32(10), 12, 11, 15, 13, 14] {
            #expect(l.verdict(kid: a, tid: tid) == .new)
            l.record(kid: a, tid: tid)
        }
        for tid in UInt32(10)...15 { #expect(l.verdict(kid: a, tid: tid) == .executed) }
    }

    @Test func slidingPastTheWindowMakesOldTidsUnknown() {
        var l = TransactionLedger(capacity: 4, window: 64, buckets: 16)
        l.record(kid: a, tid: 1)
        l.record(kid: a, tid: 1000)
        #expect(l.verdict(kid: a, tid: 1000) == .executed)
        #expect(l.verdict(kid: a, tid: 1) == .unknown)
        #expect(l.verdict(kid: a, tid: 2) == .unknown)
        #expect(l.verdict(kid: a, tid: 999) == .new)
    }

    /// A busy client kernel on a lossy link: one request is retried while
    /// thousands of its kernel's later ones pass it. With the default
    /// configuration it must still run (once) when it finally arrives.
    @Test func theDefaultWindowOutlastsALongRetry() {
        let c = RPCConfiguration()
        var l = TransactionLedger(capacity: c.ledgerKernels, window: c.ledgerWindow, buckets: c.ledgerBuckets)
        for tid in UInt32(1)...20_000 where tid != 7 { l.record(kid: a, tid: tid) }
        #expect(l.verdict(kid: a, tid: 7) == .new)
        l.record(kid: a, tid: 7)
        #expect(l.verdict(kid: a, tid: 7) == .executed)
    }

    /// Amoeba forgets evicted kernels and would run their late duplicates
    /// again; the ledger refuses them instead.
    @Test func evictedKernelsCannotReplayOldTransactions() {
        var l = TransactionLedger(capacity: 1, window: 64, buckets: 1)
        for tid in UInt32(1)...5 { l.record(kid: a, tid: tid) }
        l.record(kid: b, tid: 1)          // evicts a
        #expect(l.evictions == 1)
        for tid in UInt32(1)...5 { #expect(l.verdict(kid: a, tid: tid) == .unknown) }
        #expect(l.verdict(kid: a, tid: 6) == .new)
        l.record(kid: a, tid: 6)          // evicts b; a is back with its floor
        #expect(l.verdict(kid: a, tid: 6) == .executed)
        #expect(l.verdict(kid: a, tid: 3) == .unknown)
        #expect(l.verdict(kid: b, tid: 1) == .unknown)
        // A stranger that shares the bucket pays with refusals, never with
        // double execution.
        #expect(l.verdict(kid: c, tid: 2) == .unknown)
        #expect(l.verdict(kid: c, tid: 7) == .new)
    }
}
