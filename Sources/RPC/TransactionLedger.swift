// At most once: the server's memory of which transactions it has run.
//
// Every request carries (kid, tid): the client kernel's random boot
// identity and a transaction number that only grows. The ledger keys its
// memory by the client as the server sees it: the FLIP address the reply
// goes to together with the kid. A stranger who writes a victim's kid from
// another address fills a history of its own, never the victim's.
//
// For each client the ledger keeps a window of the last `window` tids as a
// bitmap above a floor; a tid below the floor is one we can no longer vouch
// for. Memory is finite, so clients must be forgotten, and who is forgotten
// first is what keeps a flood of forged requests harmless:
//
// - A history is *unproven* until the client acknowledges a reply at the
//   address it claims. Unproven histories are evicted first and leave
//   nothing behind: while their request is still served, its slot (found
//   by address, slot and tid) refuses copies; afterwards the client has
//   shown no sign of ever having been there.
// - A proven history evicted to make room leaves an exact summary, its own
//   floor (one past the highest tid it ran), so a late copy of anything it
//   ran is refused. Summaries are per client, never shared: no client's
//   eviction can raise another's floor.
// - A summary older than `quietTime` (a few crash timeouts: no client still
//   retransmits by then) may be dropped. When the summaries are full of
//   recent ones a new client is refused for now (the server NAKs, the client
//   backs off): a request may fail, but it never runs twice.

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

    /// Who the server answers: the reply's address and the claimed kernel.
    struct Client: Hashable {
        var address: FLIPAddress
        var kid: KernelID
    }

    private struct History {
        let client: Client
        /// Every tid below `floor` counts as possibly executed.
        var floor: UInt32
        /// Bit i set: tid floor + i ran.
        var bits: [UInt64]
        var lastUsed: Instant
        /// The client acknowledged a reply at its address.
        var proven: Bool
    }

    /// What is left of an evicted proven client.
    private struct Summary {
        var floor: UInt32
        var lastUsed: Instant
    }

    private let window: Int
    private let capacity: Int
    private let summaryCapacity: Int
    private let quietTime: Interval
    /// The clients' histories, in no order, each found by `positions`:
    /// read and changed where they lie (DenseBlock.swift), where through a
    /// dictionary's values every read of the remembered client's history
    /// was a call into the dictionary's code, and in an array every change
    /// a uniqueness check. So a ledger is not to be copied: the machine
    /// holds its one for its life.
    private let histories = DenseBlock<History>()
    private var positions: [Client: Int] = [:]
    /// Where the last client looked up sits in `histories`: a request, its
    /// checks and its acknowledgement ask about one client four times, and
    /// each SipHash of the key cost more than the check it served. Reset
    /// whenever a client is added or removed.
    private var recentClient: Client?
    private var recentIndex: Int?
    private var summaries: [Client: Summary] = [:]
    private(set) var evictions = 0
    /// New clients turned away because every summary was recent.
    private(set) var refusals = 0

    init(capacity: Int, window: Int, summaries: Int, quietTime: Interval) {
        self.capacity = max(1, capacity)
        self.window = max(64, (window + 63) / 64 * 64)
        self.summaryCapacity = max(1, summaries)
        self.quietTime = quietTime
    }

    var historyCount: Int { histories.count }

    /// The client's index, from the one remembered if it is that client.
    private func lookUp(_ client: Client) -> Int? {
        if let i = recentIndex, recentClient == client { return i }
        return positions[client]
    }

    /// `lookUp`, remembering the answer for the calls that follow.
    // The remembered answer inlined, the look-up apart.
    @inline(__always)
    private mutating func index(of client: Client) -> Int? {
        // Remembered already: storing it again cost more than the check.
        if let i = recentIndex, recentClient == client { return i }
        return lookUpAndRemember(client)
    }

    @inline(never)
    private mutating func lookUpAndRemember(_ client: Client) -> Int? {
        guard let i = positions[client] else { return nil }
        recentClient = client
        recentIndex = i
        return i
    }

    private mutating func clientsChange() {
        recentClient = nil
        recentIndex = nil
    }
    var summaryCount: Int { summaries.count }


    /// `verdict` and `canAdmit` for the ledger a node holds. `mutating`
    /// though they change nothing: called on a ledger stored in a class,
    /// a non-mutating method copied the whole ledger first (retaining and
    /// releasing its tables), twice per request; through `inout` it is
    /// read in place.
    // The remembered client's history, the rule, judged inlined.
    @inline(__always)
    mutating func verdictInPlace(_ client: Client, tid: UInt32) -> Verdict {
        if let k = recentIndex, recentClient == client { return judge(histories[k], tid) }
        return verdict(client, tid: tid)
    }
    // Room for another history, the rule, is tested inlined.
    @inline(__always)
    mutating func canAdmitInPlace(_ client: Client, now: Instant) -> Bool {
        histories.count < capacity || canAdmit(client, now: now)
    }

    func verdict(_ client: Client, tid: UInt32) -> Verdict {
        guard let k = lookUp(client) else {
            if let s = summaries[client], tid < s.floor { return .unknown }
            return .new
        }
        return judge(histories[k], tid)
    }

    @inline(__always)
    private func judge(_ h: borrowing History, _ tid: UInt32) -> Verdict {
        if tid < h.floor { return .unknown }
        let offset = Int(tid - h.floor)
        if offset >= window { return .new }
        return h.bits[offset >> 6] & (1 << UInt64(offset & 63)) != 0 ? .executed : .new
    }

    /// Whether `client` could be recorded now without forgetting anything
    /// still needed.
    func canAdmit(_ client: Client, now: Instant) -> Bool {
        if histories.count < capacity || lookUp(client) != nil { return true }
        if histories.contains(where: { !$0.proven }) { return true }
        return summaries.count < summaryCapacity || oldestSummary(quietAt: now) != nil
    }

    /// Records that (client, tid) is being run. Call only after a `.new`
    /// verdict and `canAdmit`.
    @inline(__always)
    mutating func record(_ client: Client, tid: UInt32, now: Instant) {
        change(client, tid: tid, now: now, by: TransactionLedger.record(_:_:now:window:))
    }

    /// Applies `rule` to `client`'s history: the remembered client's, the
    /// rule, inlined in place; any other through `update`, apart.
    @inline(__always)
    private mutating func change(_ client: Client, tid: UInt32, now: Instant,
                                 by rule: (inout History, UInt32, Instant, Int) -> Void) {
        if let i = recentIndex, recentClient == client {
            rule(&histories[i], tid, now, window)
        } else {
            changeAnew(client, tid: tid, now: now, by: rule)
        }
    }

    @inline(never)
    private mutating func changeAnew(_ client: Client, tid: UInt32, now: Instant,
                                     by rule: (inout History, UInt32, Instant, Int) -> Void) {
        let window = window
        update(client, now: now) { h in rule(&h, tid, now, window) }
    }

    /// Changes `client`'s history in place (admitting it first if new): one
    /// hash of the key, and the history's bit words are never copied.
    private mutating func update(_ client: Client, now: Instant, _ change: (inout History) -> Void) {
        if let i = index(of: client) {
            change(&histories[i])
            return
        }
        var h = admit(client, now: now)
        change(&h)
        clientsChange()
        positions[client] = histories.count
        histories.append(h)
    }

    /// The client acknowledged the reply to `tid` at its address: its
    /// history is worth keeping. If it was evicted meanwhile it comes back,
    /// with `tid` marked, so a late copy of that request is still refused.
    @inline(__always)
    mutating func prove(_ client: Client, tid: UInt32, now: Instant) {
        change(client, tid: tid, now: now, by: TransactionLedger.prove(_:_:now:window:))
    }

    @inline(__always)
    private static func isMarked(_ h: borrowing History, _ tid: UInt32, window: Int) -> Bool {
        guard tid >= h.floor else { return false }
        let offset = Int(tid - h.floor)
        return offset < window && h.bits[offset >> 6] & (1 << UInt64(offset & 63)) != 0
    }

    @inline(__always)
    private static func record(_ h: inout History, _ tid: UInt32, now: Instant, window: Int) {
        h.lastUsed = now
        mark(&h, tid, window: window)
    }

    @inline(__always)
    private static func prove(_ h: inout History, _ tid: UInt32, now: Instant, window: Int) {
        h.lastUsed = now
        h.proven = true
        // Marked already when the request came, as a rule: the bit is read
        // where it lies, and the words are written (a uniqueness check and
        // the mark) only if it is not.
        if !isMarked(h, tid, window: window) { mark(&h, tid, window: window) }
    }

    // A tid inside the window, the rule, marked inlined; the slide apart.
    @inline(__always)
    private static func mark(_ h: inout History, _ tid: UInt32, window: Int) {
        if tid >= h.floor, Int(tid - h.floor) < window {
            let offset = Int(tid - h.floor)
            h.bits[offset >> 6] |= 1 << UInt64(offset & 63)
        } else {
            markSliding(&h, tid, window: window)
        }
    }

    @inline(never)
    private static func markSliding(_ h: inout History, _ tid: UInt32, window: Int) {
        if tid >= h.floor, Int(tid - h.floor) >= window {
            slide(&h, toInclude: tid, window: window)
        }
        if tid >= h.floor {
            let offset = Int(tid - h.floor)
            h.bits[offset >> 6] |= 1 << UInt64(offset & 63)
        }
    }

    private mutating func admit(_ client: Client, now: Instant) -> History {
        if histories.count >= capacity { evictOne(now: now) }
        // A client back from a summary was proven: it stays so, or its
        // floor could be lost to an unproven eviction.
        let summary = summaries.removeValue(forKey: client)
        return History(client: client, floor: summary?.floor ?? 0, bits: [UInt64](repeating: 0, count: window / 64),
                       lastUsed: now, proven: summary != nil)
    }

    /// Moves the window up so `tid` is its last slot, whole words at a time.
    private static func slide(_ h: inout History, toInclude tid: UInt32, window: Int) {
        let needed = Int(tid - h.floor) - window + 1
        let words = (needed + 63) / 64
        if words >= h.bits.count {
            // Whole words still, so the new floor lies above every old mark
            // (never at tid - window + 1, which would clear marks above it).
            // It cannot pass tid: words * 64 < needed + 64.
            h.bits = [UInt64](repeating: 0, count: h.bits.count)
            h.floor = h.floor &+ UInt32(truncatingIfNeeded: words * 64)
            return
        }
        h.bits.removeFirst(words)
        h.bits.append(contentsOf: [UInt64](repeating: 0, count: words))
        h.floor += UInt32(words * 64)
    }

    /// The least recently used unproven history goes first and leaves
    /// nothing; failing that the least recently used proven one leaves its
    /// summary.
    private mutating func evictOne(now: Instant) {
        var unproven: (Int, Instant)?
        var proven: (Int, Instant)?
        for k in 0..<histories.count {
            let h = histories[k]
            if !h.proven {
                if unproven == nil || h.lastUsed < unproven!.1 { unproven = (k, h.lastUsed) }
            } else if proven == nil || h.lastUsed < proven!.1 {
                proven = (k, h.lastUsed)
            }
        }
        evictions += 1
        clientsChange()
        if let (k, _) = unproven {
            _ = removeHistory(at: k)
            return
        }
        guard let (k, _) = proven else { return }
        let h = removeHistory(at: k)
        let client = h.client
        if summaries.count >= summaryCapacity {
            // canAdmit said an old summary may go; prove() cannot refuse, so
            // there it goes even if recent, counted.
            if let old = oldestSummary(quietAt: now) ?? oldestSummary(quietAt: nil) {
                summaries[old] = nil
            }
        }
        summaries[client] = Summary(floor: top(of: h), lastUsed: h.lastUsed)
    }

    /// Takes the history at `k` out, the last one moved into its place.
    private mutating func removeHistory(at k: Int) -> History {
        positions[histories[k].client] = nil
        let h = histories.removeSwapping(at: k)
        if k < histories.count { positions[histories[k].client] = k }
        return h
    }

    /// The oldest summary, if it has been quiet long enough (any age when
    /// `quietAt` is nil).
    private func oldestSummary(quietAt now: Instant?) -> Client? {
        var oldest: (Client, Instant)?
        for (client, s) in summaries where oldest == nil || s.lastUsed < oldest!.1 {
            oldest = (client, s.lastUsed)
        }
        guard let (client, at) = oldest else { return nil }
        if let now, now - at < quietTime { return nil }
        return client
    }

    /// One past the highest tid the history ran.
    private func top(of h: History) -> UInt32 {
        for w in stride(from: h.bits.count - 1, through: 0, by: -1) where h.bits[w] != 0 {
            let bit = 63 - h.bits[w].leadingZeroBitCount
            let (sum, overflow) = h.floor.addingReportingOverflow(UInt32(w * 64 + bit + 1))
            return overflow ? UInt32.max : sum
        }
        return h.floor
    }

    mutating func noteRefusal() { refusals += 1 }
}
