// At most once: the server's memory of which transactions it has run.
//
// Every request carries (kid, tid): the client kernel's random boot
// identity and a transaction number that only grows. For each client kernel
// the ledger keeps a window of the last `window` tids as a bitmap above a
// floor; a tid below the floor is one we can no longer vouch for.
//
// Memory is finite, so kernels must be forgotten. Amoeba 5.3 drops the
// least recently used kernel and hopes it never comes back with an old tid;
// if it does, the request runs a second time. We keep the hope but not the
// risk: an evicted kernel's highest tid is folded into one of a fixed set of
// hash buckets as a floor. A kernel we do not know takes the floor of its
// bucket, so a late retransmission of anything it ran before is refused.
// The price is that an unlucky new kernel sharing a bucket sees its first
// few transactions refused (RPC_FAILURE to the client) until its tids pass
// the floor: a request may fail, but it never runs twice.

import AmoebaCore
import FLIP

struct TransactionLedger {
    enum Verdict: Equatable {
        /// Never seen: run it.
        case new
        /// Ran already: a duplicate.
        case executed
        /// Below what we remember: it may have run; refuse it.
        case unknown
    }

    private struct History {
        /// Every tid below `floor` counts as possibly executed.
        var floor: UInt32
        /// Bit i set: tid floor + i ran.
        var bits: [UInt64]
        var lastUsed: UInt64
    }

    private let window: Int
    private let capacity: Int
    private var histories: [KernelID: History] = [:]
    private var buckets: [UInt32]
    private var clock: UInt64 = 0
    private(set) var evictions = 0

    init(capacity: Int, window: Int, buckets: Int) {
        self.capacity = max(1, capacity)
        self.window = max(64, (window + 63) / 64 * 64)
        self.buckets = [UInt32](repeating: 0, count: max(1, buckets))
    }

    private func bucket(of kid: KernelID) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in kid.bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return Int(h % UInt64(buckets.count))
    }

    func verdict(kid: KernelID, tid: UInt32) -> Verdict {
        guard let h = histories[kid] else {
            return tid < buckets[bucket(of: kid)] ? .unknown : .new
        }
        if tid < h.floor { return .unknown }
        let offset = Int(tid - h.floor)
        if offset >= window { return .new }
        return h.bits[offset >> 6] & (1 << UInt64(offset & 63)) != 0 ? .executed : .new
    }

    /// Records that (kid, tid) is being run. Call only after a `.new` verdict.
    mutating func record(kid: KernelID, tid: UInt32) {
        clock += 1
        // Out of the table while it changes, so the bitmap is not copied.
        var h = histories.removeValue(forKey: kid) ?? admit(kid)
        h.lastUsed = clock
        if tid >= h.floor, Int(tid - h.floor) >= window {
            slide(&h, toInclude: tid)
        }
        if tid >= h.floor {
            let offset = Int(tid - h.floor)
            h.bits[offset >> 6] |= 1 << UInt64(offset & 63)
        }
        histories[kid] = h
    }

    private mutating func admit(_ kid: KernelID) -> History {
        if histories.count >= capacity { evictLeastRecentlyUsed() }
        return History(floor: buckets[bucket(of: kid)],
                       bits: [UInt64](repeating: 0, count: window / 64), lastUsed: clock)
    }

    /// Moves the window up so `tid` is its last slot, whole words at a time.
    private func slide(_ h: inout History, toInclude tid: UInt32) {
        let needed = Int(tid - h.floor) - window + 1
        let words = (needed + 63) / 64
        if words >= h.bits.count {
            h.bits = [UInt64](repeating: 0, count: h.bits.count)
            h.floor = tid - UInt32(window - 1)
            return
        }
        h.bits.removeFirst(words)
        h.bits.append(contentsOf: [UInt64](repeating: 0, count: words))
        h.floor += UInt32(words * 64)
    }

    private mutating func evictLeastRecentlyUsed() {
        var victim: KernelID?
        var oldest = UInt64.max
        for (kid, h) in histories where h.lastUsed < oldest {
            oldest = h.lastUsed
            victim = kid
        }
        guard let kid = victim, let h = histories.removeValue(forKey: kid) else { return }
        evictions += 1
        // Everything this kernel ran lies below `top`: one past its highest tid.
        var top = h.floor
        for w in stride(from: h.bits.count - 1, through: 0, by: -1) where h.bits[w] != 0 {
            let bit = 63 - h.bits[w].leadingZeroBitCount
            let (sum, overflow) = h.floor.addingReportingOverflow(UInt32(w * 64 + bit + 1))
            top = overflow ? UInt32.max : sum
            break
        }
        let i = bucket(of: kid)
        buckets[i] = max(buckets[i], top)
    }
}
