// Which state serves a client's request: (client address, client slot,
// tid) -> the server slot holding it, or 0 for a request queued for a
// slot. Every request, RECEIVED probe and ENQUIRY asks it, so it must not
// walk the server's slots: that made a transaction's cost grow with the
// number of clients being served.
//
// An open-addressed table probed linearly, with a cheap multiplicative
// hash salted per node. The keys are the peer's to choose, but the table
// holds at most the node's states plus its request queue, so a peer that
// made every key collide would cost at worst a walk of those, which is what
// the walk it replaces cost every time.
//
// The table lies in blocks the machine alone holds (an entry and, apart,
// whether its place is used), as its other per-transaction tables do
// (SpareFrames.swift): filing a request and removing it, once each a
// transaction, were writes into an array of optional entries, each with a
// uniqueness check of the array.
//
// A class, so that the machine (itself a class) changes it in place and
// the blocks are freed with it. Not for sharing between threads.

import FLIP

final class ServingIndex {
    private struct Entry {
        var address: UInt64
        var clientSlot: UInt16
        var tid: UInt32
        var state: UInt16
    }

    /// `capacity` places, a power of two; a place's entry is initialised
    /// while its flag in `used` is set.
    private var entries: UnsafeMutablePointer<Entry>
    private var used: UnsafeMutablePointer<Bool>
    private var capacity = 16
    private var mask = 15
    private(set) var count = 0
    private let salt: UInt64

    init(salt: UInt64) {
        self.salt = salt | 1
        entries = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        used = UnsafeMutablePointer<Bool>.allocate(capacity: capacity)
        used.initialize(repeating: false, count: capacity)
    }

    deinit {
        entries.deallocate()
        used.deallocate()
    }

    private func home(_ address: UInt64, _ clientSlot: UInt16, _ tid: UInt32) -> Int {
        var h = (address ^ salt) &* 0x9E37_79B9_7F4A_7C15
        h ^= (UInt64(tid) << 16 | UInt64(clientSlot)) &+ salt
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h >> 32) & mask
    }

    private func find(_ address: UInt64, _ clientSlot: UInt16, _ tid: UInt32) -> Int? {
        var i = home(address, clientSlot, tid)
        while used[i] {
            let e = entries[i]
            if e.address == address && e.clientSlot == clientSlot && e.tid == tid { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The state serving the request, 0 if it is queued, nil if unknown.
    func state(serving address: FLIPAddress, slot: UInt16, tid: UInt32) -> UInt16? {
        guard count > 0, let i = find(address.littleEndianBits, slot, tid) else { return nil }
        return entries[i].state
    }

    /// Files the request as served by `state` (replacing what was filed).
    func set(_ address: FLIPAddress, slot: UInt16, tid: UInt32, state: UInt16) {
        let a = address.littleEndianBits
        if 2 * (count + 1) > capacity { grow() }
        // One walk of the run finds the entry or, where it ends, the place
        // for it (removal leaves no gaps inside a run): the key is hashed
        // once, where a look-up and then an insertion hashed it twice.
        var i = home(a, slot, tid)
        while used[i] {
            let e = entries[i]
            if e.address == a && e.clientSlot == slot && e.tid == tid {
                entries[i].state = state
                return
            }
            i = (i + 1) & mask
        }
        (entries + i).initialize(to: Entry(address: a, clientSlot: slot, tid: tid, state: state))
        used[i] = true
        count += 1
    }

    func remove(_ address: FLIPAddress, slot: UInt16, tid: UInt32) {
        guard count > 0, var hole = find(address.littleEndianBits, slot, tid) else { return }
        used[hole] = false
        count -= 1
        // Shift back later entries of the run that the hole would cut off
        // from their home (no tombstones to sweep later).
        var i = (hole + 1) & mask
        while used[i] {
            let e = entries[i]
            let h = home(e.address, e.clientSlot, e.tid)
            // Movable when its home is not in (hole, i], cyclically.
            let movable = hole <= i ? (h <= hole || h > i) : (h <= hole && h > i)
            if movable {
                entries[hole] = e
                used[hole] = true
                used[i] = false
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    @inline(never)
    private func grow() {
        let oldEntries = entries, oldUsed = used, oldCapacity = capacity
        capacity *= 2
        mask = capacity - 1
        entries = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        used = UnsafeMutablePointer<Bool>.allocate(capacity: capacity)
        used.initialize(repeating: false, count: capacity)
        count = 0
        for j in 0..<oldCapacity where oldUsed[j] {
            let e = oldEntries[j]
            var i = home(e.address, e.clientSlot, e.tid)
            while used[i] { i = (i + 1) & mask }
            (entries + i).initialize(to: e)
            used[i] = true
            count += 1
        }
        oldEntries.deallocate()
        oldUsed.deallocate()
    }
}
