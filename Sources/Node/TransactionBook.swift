// Who waits for each transaction the node started: the owner and the
// deadline, found again when the RPC machine reports the result.
//
// Filed by the call's state index (the low bits of its id), in an array:
// a transaction used to cost two SipHashes of its id here, one to book it
// and one to find it, a real share of a null transaction on the kernel's
// 32-bit guest. An index is reused once its call ends, and a new call may
// take it before the old call's result is drained; the older entry then
// moves to a short overflow list, as do calls refused before they had an
// index. Both are rare, so the list stays a few entries long.

import AmoebaCore
import RPC

struct TransactionBook<Owner> {
    struct Entry {
        var id: TransactionID
        var owner: Owner
        var deadline: Instant?
    }

    private var byIndex = IndexTable<Entry>()
    private var overflow: [Entry] = []

    var count: Int { byIndex.count + overflow.count }

    mutating func book(_ id: TransactionID, owner: Owner, deadline: Instant?) {
        let entry = Entry(id: id, owner: owner, deadline: deadline)
        let k = id.stateIndex
        guard k != 0 else {
            overflow.append(entry)
            return
        }
        if let older = byIndex[k] { overflow.append(older) }
        byIndex[k] = entry
    }

    /// Takes the entry for `id` out of the book; nil if it has none (its
    /// owner left, or its deadline passed first).
    mutating func remove(_ id: TransactionID) -> Entry? {
        let k = id.stateIndex
        if k != 0, let e = byIndex[k], e.id == id {
            byIndex[k] = nil
            return e
        }
        guard let i = overflow.firstIndex(where: { $0.id == id }) else { return nil }
        return overflow.remove(at: i)
    }

    /// Every entry, oldest first (ids grow with each call started).
    var entries: [Entry] {
        var all = overflow
        for (_, e) in byIndex { all.append(e) }
        all.sort { $0.id.rawValue < $1.id.rawValue }
        return all
    }

    mutating func removeAll() {
        byIndex = IndexTable()
        overflow.removeAll()
    }
}
