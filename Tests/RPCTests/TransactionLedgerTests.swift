// The at-most-once ledger on its own: what it refuses, what it forgets
// first, and that no sequence of forged requests locks out a real client.

import Testing
import AmoebaCore
import FLIP
@testable import RPC

@Suite struct TransactionLedgerTests {
    typealias Client = TransactionLedger.Client
    let a = Client(address: FLIPAddress(hex: "a1a1a1a1a1a1a100")!, kid: FLIPAddress(hex: "0a00000000000001")!)
    let b = Client(address: FLIPAddress(hex: "b1b1b1b1b1b1b100")!, kid: FLIPAddress(hex: "0b00000000000002")!)
    let c = Client(address: FLIPAddress(hex: "c1c1c1c1c1c1c100")!, kid: FLIPAddress(hex: "0c00000000000003")!)
    let t0 = Instant(microseconds: 1_000_000)

    func ledger(capacity: Int = 4, window: Int = 64, summaries: Int = 16) -> TransactionLedger {
        TransactionLedger(capacity: capacity, window: window, summaries: summaries, quietTime: .seconds(60))
    }

    func address(_ v: UInt64) -> FLIPAddress {
        FLIPAddress(bytes: (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) })!
    }

    @Test func newThenExecuted() {
        var l = ledger()
        #expect(l.verdict(a, tid: 7) == .new)
        l.record(a, tid: 7, now: t0)
        #expect(l.verdict(a, tid: 7) == .executed)
        #expect(l.verdict(a, tid: 8) == .new)
        #expect(l.verdict(a, tid: 6) == .new)
        #expect(l.verdict(b, tid: 7) == .new)
    }

    @Test func outOfOrderTidsWithinTheWindowAllRun() {
        var l = ledger(window: 128)
        for tid in [UInt32(10), 12, 11, 15, 13, 14] {
            #expect(l.verdict(a, tid: tid) == .new)
            l.record(a, tid: tid, now: t0)
        }
        for tid in UInt32(10)...15 { #expect(l.verdict(a, tid: tid) == .executed) }
    }

    @Test func slidingPastTheWindowMakesOldTidsUnknown() {
        var l = ledger()
        l.record(a, tid: 1, now: t0)
        l.record(a, tid: 1000, now: t0)
        #expect(l.verdict(a, tid: 1000) == .executed)
        #expect(l.verdict(a, tid: 1) == .unknown)
        #expect(l.verdict(a, tid: 2) == .unknown)
        #expect(l.verdict(a, tid: 999) == .new)
    }

    /// Found by the rpc_ledger fuzz target: a slide of nearly a window used
    /// to clear the marks of tids still inside the new window.
    @Test func aSlideOfNearlyAWindowKeepsTheMarksInside() {
        var l = ledger()
        for tid in stride(from: UInt32(1), through: 64, by: 3) { l.record(a, tid: tid, now: t0) }
        for tid in stride(from: UInt32(1), through: 64, by: 3) { #expect(l.verdict(a, tid: tid) != .new) }
    }

    /// A busy client kernel on a lossy link: one request is retried while
    /// thousands of its kernel's later ones pass it. With the default
    /// configuration it must still run (once) when it finally arrives.
    @Test func theDefaultWindowOutlastsALongRetry() {
        let cfg = RPCConfiguration()
        var l = TransactionLedger(capacity: cfg.ledgerKernels, window: cfg.ledgerWindow,
                                  summaries: cfg.ledgerSummaries, quietTime: cfg.crashTimeout * 3)
        for tid in UInt32(1)...20_000 where tid != 7 { l.record(a, tid: tid, now: t0) }
        #expect(l.verdict(a, tid: 7) == .new)
        l.record(a, tid: 7, now: t0)
        #expect(l.verdict(a, tid: 7) == .executed)
    }

    /// The same kid from another address is another client: writing a
    /// victim's kid changes nothing for the victim.
    @Test func aForgedKidFromAnotherAddressLeavesTheVictimAlone() {
        var l = ledger()
        l.record(a, tid: 5, now: t0)
        l.prove(a, tid: 5, now: t0)
        let forger = Client(address: FLIPAddress(hex: "eeeeeeeeeeeeee00")!, kid: a.kid)
        l.record(forger, tid: 0xFFFF_FFF0, now: t0)
        #expect(l.verdict(a, tid: 6) == .new)
        #expect(l.verdict(a, tid: 5) == .executed)
    }

    /// Evicted proven clients keep their own floor: their late copies are
    /// refused, and nobody else inherits it.
    @Test func evictedProvenClientsCannotReplayAndShareNothing() {
        var l = ledger(capacity: 1)
        for tid in UInt32(1)...5 { l.record(a, tid: tid, now: t0); l.prove(a, tid: tid, now: t0) }
        #expect(l.canAdmit(b, now: t0))
        l.record(b, tid: 1, now: t0)          // evicts a, leaving its summary
        #expect(l.evictions == 1)
        for tid in UInt32(1)...5 { #expect(l.verdict(a, tid: tid) == .unknown) }
        #expect(l.verdict(a, tid: 6) == .new)
        l.record(a, tid: 6, now: t0)          // b is unproven: it goes, leaving nothing
        #expect(l.verdict(a, tid: 6) == .executed)
        #expect(l.verdict(a, tid: 3) == .unknown)
        #expect(l.verdict(b, tid: 1) == .new)
        #expect(l.verdict(c, tid: 1) == .new)
    }

    /// The attack of issue 10: thousands of forged clients with tid
    /// 0xFFFFFFF0. None proves it receives, so none leaves a trace; the
    /// real client's history survives and a newcomer starts clean.
    @Test func aFloodOfForgedClientsNeverLocksOutARealOne() {
        var l = ledger(capacity: 8, window: 64, summaries: 8)
        for tid in UInt32(1)...3 { l.record(a, tid: tid, now: t0); l.prove(a, tid: tid, now: t0) }
        for i in 0..<5000 {
            let forged = Client(address: address(UInt64(i + 1) << 8),
                                kid: address(UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
            #expect(l.canAdmit(forged, now: t0))
            l.record(forged, tid: 0xFFFF_FFF0, now: t0)
        }
        #expect(l.historyCount <= 8)
        #expect(l.summaryCount == 0)
        #expect(l.verdict(a, tid: 4) == .new)
        #expect(l.verdict(a, tid: 2) == .executed)
        #expect(l.verdict(c, tid: 1) == .new)
        #expect(l.canAdmit(c, now: t0))
    }

    /// Full of proven clients that may still retransmit, a newcomer waits;
    /// once they have been quiet long enough it gets in.
    @Test func aLedgerFullOfRecentProvenClientsRefusesThenRecovers() {
        var l = ledger(capacity: 1, summaries: 1)
        l.record(a, tid: 1, now: t0); l.prove(a, tid: 1, now: t0)
        l.record(b, tid: 1, now: t0); l.prove(b, tid: 1, now: t0)   // a → summary
        #expect(!l.canAdmit(c, now: t0 + .seconds(1)))
        #expect(l.canAdmit(c, now: t0 + .seconds(61)))
        l.record(c, tid: 1, now: t0 + .seconds(61))
        #expect(l.verdict(b, tid: 1) == .unknown)
        #expect(l.verdict(c, tid: 1) == .executed)
    }
}
