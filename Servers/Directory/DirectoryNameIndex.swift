// Finding a directory's row by name without walking its rows.
//
// A directory keeps its rows in slots, in Amoeba order (DirectoryRows);
// this index maps a name to its slot. It is an open-addressing hash table
// with linear probing whose buckets hold only slot numbers: the name is
// read from the slot itself, so the index adds 4 bytes a bucket and no copy
// of any name. The table is kept between a quarter and a half full (at
// least 8 buckets), which keeps a probe sequence short and bounds the
// index at 16 bytes a row, and it is resized only by doubling or halving,
// so its upkeep is constant amortised per change.
//
// Names are compared and hashed as their UTF-8 bytes. Row names are
// printable ASCII (DirectoryName.isValid), so this is the comparison SOAP
// makes (strcmp); it also keeps Unicode normalisation out of the kernel.
// Hashing goes through the standard Hasher, which is seeded per process as
// Swift's own dictionaries are, so a client cannot choose names that
// collide.

#if DEBUG
/// How many row names a directory's look-ups have compared: what a test
/// reads to see that finding a row does not walk the directory. Shared by
/// the copies of a directory, so it counts the work done on its behalf.
/// Debug builds only, so that a kernel node does not pay an allocation
/// per directory for it.
public final class NameComparisons: @unchecked Sendable {
    public internal(set) var count = 0
    init() {}
}
#endif

struct DirectoryNameIndex {
    /// 0 is an empty bucket; k > 0 is slot k - 1. Empty, or a power of two
    /// of at least `minimumBuckets`.
    private var buckets: [UInt32] = []
    /// How many names the index holds.
    private(set) var count = 0
    #if DEBUG
    let comparisons = NameComparisons()
    #endif

    static let minimumBuckets = 8

    var bucketCount: Int { buckets.count }

    /// The slot holding the row called `name`.
    func slot(of name: String, in slots: [DirectoryRow?]) -> Int? {
        guard count > 0 else { return nil }
        let mask = buckets.count - 1
        var i = Self.hash(name) & mask
        while buckets[i] != 0 {
            let slot = Int(buckets[i]) - 1
            #if DEBUG
            comparisons.count += 1
            #endif
            if Self.same(slots[slot]!.name, name) { return slot }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Records that `slot` holds the row called `name`, which the index
    /// must not hold yet.
    mutating func insert(slot: Int, named name: String, in slots: [DirectoryRow?]) {
        if (count + 1) * 2 > buckets.count {
            resize(to: max(Self.minimumBuckets, buckets.count * 2), in: slots)
        }
        place(UInt32(slot + 1), home: Self.hash(name))
        count += 1
    }

    /// Forgets the row called `name`, held in `slot`. The other slots must
    /// still hold their rows: moving entries back into the gap rehashes them.
    mutating func remove(slot: Int, named name: String, in slots: [DirectoryRow?]) {
        guard count > 0 else { return }
        let mask = buckets.count - 1
        let entry = UInt32(slot + 1)
        var hole = Self.hash(name) & mask
        while buckets[hole] != entry {
            if buckets[hole] == 0 { return }  // not held: nothing to forget
            hole = (hole + 1) & mask
        }
        // Backward-shift deletion: an entry further along the run may move
        // into the gap when its home bucket is not after the gap, so that
        // every entry stays reachable from its home without markers.
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Self.hash(slots[Int(buckets[next]) - 1]!.name) & mask
            if (next &- home) & mask >= (next &- hole) & mask {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        count -= 1
        if count == 0 {
            buckets = []
        } else if count * 4 < buckets.count, buckets.count > Self.minimumBuckets {
            resize(to: buckets.count / 2, in: slots)
        }
    }

    /// Builds the index afresh over every row in `slots`, whose names must
    /// be distinct.
    mutating func rebuild(_ slots: [DirectoryRow?]) {
        var live = 0
        for s in slots where s != nil { live += 1 }
        var size = Self.minimumBuckets
        while size < live * 2 { size *= 2 }
        buckets = live == 0 ? [] : [UInt32](repeating: 0, count: size)
        count = live
        for (slot, row) in slots.enumerated() {
            if let row { place(UInt32(slot + 1), home: Self.hash(row.name)) }
        }
    }

    private mutating func resize(to size: Int, in slots: [DirectoryRow?]) {
        let old = buckets
        buckets = [UInt32](repeating: 0, count: size)
        for entry in old where entry != 0 {
            place(entry, home: Self.hash(slots[Int(entry) - 1]!.name))
        }
    }

    private mutating func place(_ entry: UInt32, home: Int) {
        let mask = buckets.count - 1
        var i = home & mask
        while buckets[i] != 0 { i = (i + 1) & mask }
        buckets[i] = entry
    }

    private static func hash(_ name: String) -> Int {
        var hasher = Hasher()
        var name = name
        name.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return hasher.finalize()
    }

    private static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }
}
