// A keyed table whose entries sit in a plain array, changed where they lie.
//
// The per-frame tables of a box hold records with arrays inside them (a
// peer's queue of frames, a message's buffer). Kept as the values of a
// dictionary, every read of one field through `values[index]` went through
// the dictionary's getter, out of line, which hands back a copy of the
// whole record: its arrays retained and released, a few hundred
// instructions a frame for reading one counter. Here the records live in
// an array, `values`, and the key finds a slot number once. Reading
// `values[slot].field` and writing through it are then what they look like,
// with no copy of the record and no second hash of the key.
//
// A slot stays the same while its key is in the table, whatever is added
// after it. Removing a key moves the last record into its slot (the array
// stays dense and walks stay short), so a slot number read before a removal
// must be looked up again after it. Order in the array means nothing: code
// that must act in a fixed order sorts the keys itself.

struct KeyedSlots<Key: Hashable, Value> {
    /// The key of each slot.
    private(set) var keys: [Key] = []
    /// The record in each slot. Change records in place through this;
    /// add and remove them only through the table's methods, which keep
    /// `keys` and the slot index in step.
    var values: [Value] = []
    private var slotOf: [Key: Int] = [:]
    /// The last key found and its slot: the frames of a message, and the
    /// credit coming back for them, are all for one key, so most look-ups
    /// hash nothing.
    private var recentKey: Key?
    private var recentSlot = 0

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    /// The slot of `key`, or nil when the table does not hold it.
    mutating func slot(of key: Key) -> Int? {
        if let k = recentKey, k == key { return recentSlot }
        guard let s = slotOf[key] else { return nil }
        recentKey = key
        recentSlot = s
        return s
    }

    /// A copy of the record for `key`: for tests and rare reads, never
    /// the per-frame path (that is what the slots are for).
    subscript(key: Key) -> Value? {
        slotOf[key].map { values[$0] }
    }

    /// Adds `value` for `key`, which the table must not hold; its slot.
    mutating func insert(_ value: Value, for key: Key) -> Int {
        let s = keys.count
        keys.append(key)
        values.append(value)
        slotOf[key] = s
        recentKey = key
        recentSlot = s
        return s
    }

    /// Takes the record in `slot` out of the table (moved, not copied).
    /// The last record moves into the slot.
    @discardableResult
    mutating func remove(at slot: Int) -> Value {
        let key = keys[slot]
        slotOf[key] = nil
        let last = keys.count - 1
        if slot != last {
            keys.swapAt(slot, last)
            values.swapAt(slot, last)
            slotOf[keys[slot]] = slot
        }
        keys.removeLast()
        recentKey = nil
        return values.removeLast()
    }

    /// Removes every record for which `drop` is true.
    mutating func removeAll(where drop: (Key, Value) -> Bool) {
        var s = 0
        while s < keys.count {
            if drop(keys[s], values[s]) { remove(at: s) } else { s += 1 }
        }
    }
}
