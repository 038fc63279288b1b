// A directory's rows: kept in Amoeba order (appended at the end, replaced
// in place, deleted without disturbing the others) and found by name
// through the directory's name index, so that every row change costs
// constant time amortised however large the directory is.
//
// Deleting a row leaves a gap in its slot rather than moving the rows
// after it, because moving them would renumber their slots and so cost an
// index update each. Gaps at the end are dropped at once (a row appended
// and deleted again leaves nothing); the others are compacted away, and the
// index rebuilt, once they outnumber the rows. A compaction walks the
// directory, but it comes only after at least half as many deletions, so
// it costs constant time per deletion, and the gaps never take more than
// one slot per row (plus a few).

extension Directory {
    /// The rows in order. Builds an array: for tests and whole-directory
    /// work; the server's commands go through `row(named:)` and the rest.
    public var rows: [DirectoryRow] { slots.compactMap { $0 } }

    /// How many rows the directory has.
    public var count: Int { slots.count - gaps }

    public var isEmpty: Bool { count == 0 }

    #if DEBUG
    /// How many row names this directory's look-ups have compared (debug
    /// builds, for tests).
    public var nameComparisons: Int { index.comparisons.count }
    #endif

    /// The row called `name`.
    public func row(named name: String) -> DirectoryRow? {
        index.slot(of: name, in: slots).map { slots[$0]! }
    }

    /// Calls `body` with each row in order.
    func forEachRow(_ body: (DirectoryRow) -> Void) {
        for case let row? in slots { body(row) }
    }

    /// Sets the row called `row.name`: replaced where it stands if there is
    /// one, appended at the end otherwise.
    mutating func set(_ row: DirectoryRow) {
        if let slot = index.slot(of: row.name, in: slots) {
            slots[slot] = row
        } else {
            slots.append(row)
            index.insert(slot: slots.count - 1, named: row.name, in: slots)
        }
    }

    /// Deletes the row called `name`, if there is one.
    mutating func remove(named name: String) {
        guard let slot = index.slot(of: name, in: slots) else { return }
        index.remove(slot: slot, named: name, in: slots)
        slots[slot] = nil
        gaps += 1
        while let last = slots.last, last == nil {
            slots.removeLast()
            gaps -= 1
        }
        if gaps > count, gaps >= DirectoryNameIndex.minimumBuckets { compact() }
    }

    /// Drops the gaps; every row's slot changes, so the index is rebuilt.
    private mutating func compact() {
        slots = slots.filter { $0 != nil }
        gaps = 0
        index.rebuild(slots)
    }
}

/// Two directories are equal when what they hold is: where deleted rows
/// have left gaps, and how the index lies, make no difference.
extension Directory: Hashable {
    public static func == (a: Directory, b: Directory) -> Bool {
        guard a.random == b.random, a.columns == b.columns, a.sequence == b.sequence,
              a.count == b.count else { return false }
        var i = 0, j = 0
        while true {
            while i < a.slots.count, a.slots[i] == nil { i += 1 }
            while j < b.slots.count, b.slots[j] == nil { j += 1 }
            guard i < a.slots.count, j < b.slots.count else { return true }
            guard a.slots[i] == b.slots[j] else { return false }
            i += 1
            j += 1
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(random)
        hasher.combine(columns)
        hasher.combine(sequence)
        hasher.combine(count)
        forEachRow { hasher.combine($0) }
    }
}
