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

import FLIP

struct ServingIndex {
    private struct Entry {
        var address: UInt64
        var clientSlot: UInt16
        var tid: UInt32
        var state: UInt16
    }

    private var entries: [Entry?] = Array(repeating: nil, count: 16)
    private var mask = 15
    private(set) var count = 0
    private let salt: UInt64

    init(salt: UInt64) { self.salt = salt | 1 }

    private func home(_ address: UInt64, _ clientSlot: UInt16, _ tid: UInt32) -> Int {
        var h = (address ^ salt) &* 0x9E37_79B9_7F4A_7C15
        h ^= (UInt64(tid) << 16 | UInt64(clientSlot)) &+ salt
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h >> 32) & mask
    }

    private func find(_ address: UInt64, _ clientSlot: UInt16, _ tid: UInt32) -> Int? {
        var i = home(address, clientSlot, tid)
        while let e = entries[i] {
            if e.address == address && e.clientSlot == clientSlot && e.tid == tid { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The state serving the request, 0 if it is queued, nil if unknown.
    func state(serving address: FLIPAddress, slot: UInt16, tid: UInt32) -> UInt16? {
        guard count > 0, let i = find(address.littleEndianBits, slot, tid) else { return nil }
        return entries[i]!.state
    }

    /// Files the request as served by `state` (replacing what was filed).
    mutating func set(_ address: FLIPAddress, slot: UInt16, tid: UInt32, state: UInt16) {
        let a = address.littleEndianBits
        if 2 * (count + 1) > entries.count { grow() }
        // One walk of the run finds the entry or, where it ends, the place
        // for it (removal leaves no gaps inside a run): the key is hashed
        // once, where a look-up and then an insertion hashed it twice.
        var i = home(a, slot, tid)
        while let e = entries[i] {
            if e.address == a && e.clientSlot == slot && e.tid == tid {
                entries[i]!.state = state
                return
            }
            i = (i + 1) & mask
        }
        entries[i] = Entry(address: a, clientSlot: slot, tid: tid, state: state)
        count += 1
    }

    mutating func remove(_ address: FLIPAddress, slot: UInt16, tid: UInt32) {
        guard count > 0, var hole = find(address.littleEndianBits, slot, tid) else { return }
        entries[hole] = nil
        count -= 1
        // Shift back later entries of the run that the hole would cut off
        // from their home (no tombstones to sweep later).
        var i = (hole + 1) & mask
        while let e = entries[i] {
            let h = home(e.address, e.clientSlot, e.tid)
            // Movable when its home is not in (hole, i], cyclically.
            let movable = hole <= i ? (h <= hole || h > i) : (h <= hole && h > i)
            if movable {
                entries[hole] = e
                entries[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: nil, count: old.count * 2)
        mask = entries.count - 1
        count = 0
        for case let e? in old {
            var i = home(e.address, e.clientSlot, e.tid)
            while entries[i] != nil { i = (i + 1) & mask }
            entries[i] = e
            count += 1
        }
    }
}
