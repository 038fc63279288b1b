// Where the key looked up last sits in a dictionary.
//
// A box deals with the same few neighbours frame after frame: the frames
// of one message come from one peer, for one route, into one partial
// message. Hashing the key again for each (SipHash, and on a 32-bit guest
// dearly) cost more than the work the table then does, so the tables on
// the per-frame path remember the last key's index. Changing a value in
// place keeps every index valid; adding or removing a key does not, so
// each table forgets the index before any such change.

struct RecentIndex<Key: Hashable, Value> {
    private var key: Key?
    private var index: Dictionary<Key, Value>.Index?

    /// The index of `key` in `table`, from memory when it was the last
    /// key asked for; nil when the table does not hold it.
    mutating func of(_ key: Key, in table: Dictionary<Key, Value>) -> Dictionary<Key, Value>.Index? {
        if let i = index, self.key == key { return i }
        guard let i = table.index(forKey: key) else { return nil }
        self.key = key
        index = i
        return i
    }

    /// Keys are about to be added or removed: the index may go stale.
    mutating func forget() {
        key = nil
        index = nil
    }
}
