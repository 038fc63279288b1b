// A table by state index (EntryBlock.swift) whose entries carry a deadline, with the earliest kept in
// a heap so that a node's next deadline costs no walk of its table.
//
// The driver asks for the next deadline after every event it feeds, and a
// server under load holds a state per client: walking them all each time
// made a transaction's cost grow with the number of clients. Entries change
// by copy-and-store, so the table files a heap entry whenever a stored
// entry's deadline changes to a new time. Entries of times since changed or
// removed are stale: recognised by comparing with the entry's deadline, they
// are dropped when they reach the top, and the heap is rebuilt from the
// table when stale entries outnumber live ones.
//
// A heap entry need only be no later than its index's deadline: one that
// reaches the top early, its index's deadline now later, is filed again at
// that deadline, so the earliest deadline and what is due come out as from
// an exact heap. So a deadline that only moves later files nothing while
// an entry at or before it is still in the heap for its index
// (`filed`, the earliest such entry's time). Every transaction gave its
// index two deadlines that only moved on, the call's and the reply's, and
// an index is used again and again (freed indices are reused last in,
// first out): two heap pushes and their uniqueness checks a transaction,
// where now an early entry left by the index's last use usually covers
// the new deadline, and is refiled only if it reaches the top first.

import AmoebaCore

protocol Timed {
    var deadline: Instant? { get }
}

struct TimedTable<Value: Timed> {
    /// The entries (EntryBlock.swift: a TimedTable is not to be copied).
    private let table = EntryBlock<Value>()
    private var heap = DeadlineHeap()
    /// By index: the time of the earliest heap entry known for it, or
    /// `TimedTable.none`. Such an entry is in the heap while set.
    private var filed: [Int64] = []
    private static var none: Int64 { Int64.max }

    var count: Int { table.count }
    var isEmpty: Bool { table.count == 0 }
    var keys: [UInt16] { table.keys }
    /// Heap entries, live and stale (for tests: stale ones must not pile up).
    var heapCount: Int { heap.count }

    subscript(index: UInt16) -> Value? {
        get { table[Int(index)] }
        _modify {
            let before = deadline(of: index)
            yield &table[Int(index)]
            if let after = deadline(of: index), after != before { file(after, index) }
        }
    }

    /// Stores a new entry where there is none (an index just allocated).
    /// Its deadline is read from the value in hand: storing through the
    /// subscript read the old and new deadlines where they lie, two
    /// uniqueness checks of the table's storage for nothing.
    @inline(__always)
    mutating func insert(_ value: consuming Value, at index: UInt16) {
        let d = value.deadline
        table.insert(consume value, at: Int(index))
        if let d { file(d, index) }
    }

    /// What `body` takes from the entry at `index`, changed where it lies
    /// (nil if there is none, or `body` takes nothing). `body` must leave
    /// the entry's deadline as it was. What it takes comes back as the
    /// result, not through a variable the closure captures: moved from
    /// such a variable into its next owner, a frame buffer was retained
    /// and its variable released, for nothing.
    @inline(__always)
    mutating func take<Taken>(from index: UInt16, _ body: (inout Value) -> Taken?) -> Taken? {
        let i = Int(index)
        guard let p = table.entry(i) else { return nil }
        return body(&p.pointee)
    }

    /// Whether an entry is at `index`, looked at where it lies.
    mutating func contains(_ index: UInt16) -> Bool {
        let i = Int(index)
        return table.entry(i) != nil
    }

    /// Changes the entry at `index` where it lies, if there is one (false
    /// if none). `body` returns the deadline it gave the entry, which is
    /// filed, or nil if it gave none (left the entry's as it was, or
    /// cleared it). Taking an entry out and storing it back copied it whole
    /// on the way in (a slot with its reply, a call with its request:
    /// retains, releases and outlined copies), since the compiler cannot
    /// consume a `guard var`; and the table does not read the deadline
    /// before and after, each read a look at whether the place holds an
    /// entry (an outlined call on the kernel's guest) besides the read
    /// itself. `body` must not touch this table: it is being changed.
    @discardableResult
    mutating func update(_ index: UInt16, _ body: (inout Value) -> Instant?) -> Bool {
        let i = Int(index)
        guard let p = table.entry(i) else { return false }
        // Debug builds check the body's word: a deadline set but not
        // returned would never be filed, and its timer never run.
        var before: Instant?
        assert({ before = deadline(of: index); return true }())
        let given = body(&p.pointee)
        if let given { file(given, index) }
        assert({
            let after = deadline(of: index)
            return given.map { $0 == after } ?? (after == nil || after == before)
        }(), "update: the body gave the entry a deadline it did not return")
        return true
    }

    /// An entry's deadline, read where it lies (read from a copy, the whole
    /// entry was copied, with every retain and release in it, for eight bytes).
    private mutating func deadline(of index: UInt16) -> Instant? {
        let i = Int(index)
        return table.entry(i)?.pointee.deadline
    }

    /// Takes the entry out, moved rather than copied (its heap entry
    /// goes stale, as when it is set to nil).
    mutating func remove(_ index: UInt16) -> Value? { table.remove(Int(index)) }

    /// Destroys the entry at `index`, which `update` just found, where it
    /// lies (its heap entry goes stale).
    mutating func discard(_ index: UInt16) { table.discard(Int(index)) }

    /// Files `time` for `index`, unless an entry no later is in the heap
    /// for it already (see above).
    // The test inlined, the filing apart: a deadline that only moves on
    // nearly always finds an entry filed, and the call cost more than the test.
    @inline(__always)
    private mutating func file(_ time: Instant, _ index: UInt16) {
        let i = Int(index)
        if i < filed.count, filed[i] <= time.microseconds { return }
        fileAnew(time, index)
    }

    @inline(never)
    private mutating func fileAnew(_ time: Instant, _ index: UInt16) {
        push(time, index)
        if heap.count > 2 * table.count + 64 { rebuild() }
    }

    private mutating func push(_ time: Instant, _ index: UInt16) {
        noteFiled(time, index)
        heap.push(DeadlineEntry(time: time, index: index))
    }

    /// Takes the top entry off the heap, and its index's `filed` with it
    /// when it is the entry that names.
    private mutating func pop(_ top: DeadlineEntry) {
        heap.pop()
        unfile(top)
    }

    /// `filed` for an entry of `time` going into the heap for `index`.
    private mutating func noteFiled(_ time: Instant, _ index: UInt16) {
        let i = Int(index)
        if i >= filed.count { filed.append(contentsOf: repeatElement(TimedTable.none, count: i + 1 - filed.count)) }
        if time.microseconds < filed[i] { filed[i] = time.microseconds }
    }

    /// `filed` for `entry` leaving the heap: nothing known for its index
    /// when it was the entry `filed` named.
    private mutating func unfile(_ entry: DeadlineEntry) {
        let i = Int(entry.index)
        if i < filed.count, filed[i] == entry.time.microseconds { filed[i] = TimedTable.none }
    }

    private mutating func rebuild() {
        heap.removeAll()
        for i in filed.indices { filed[i] = TimedTable.none }
        for i in 0..<table.places {
            if let d = table.entry(i)?.pointee.deadline { push(d, UInt16(i)) }
        }
    }

    /// Takes `top` off the heap if it does not name its index's deadline
    /// exactly, filing that deadline anew if it is later; whether it was
    /// taken.
    private mutating func dropIfNotCurrent(_ top: DeadlineEntry) -> Bool {
        let d = deadline(of: top.index)
        if d == top.time { return false }
        guard let d, top.time < d else {
            pop(top)
            return true
        }
        // Refiled at the later deadline in the top's place: one sift where
        // a pop and a push took two, and no resizing. A driver asking for
        // the next deadline after every turn meets an early entry at the
        // top nearly every time (the index's last transaction filed it;
        // this one's deadline lies later), a call's cost on each side of a
        // null transaction.
        unfile(top)
        noteFiled(d, top.index)
        heap.replaceTop(with: DeadlineEntry(time: d, index: top.index))
        return true
    }

    /// The earliest deadline of any entry.
    var earliest: Instant? {
        mutating get {
            while let top = heap.top, dropIfNotCurrent(top) {}
            return heap.top?.time
        }
    }

    /// The entries whose deadline is `now` or earlier, in index order, each
    /// once. Their heap entries go: the caller moves or clears each one's
    /// deadline (a time left unchanged would not be filed again).
    mutating func due(at now: Instant) -> [UInt16] {
        var out: [UInt16] = []
        while let top = heap.top, top.time <= now {
            if dropIfNotCurrent(top) { continue }
            pop(top)
            out.append(top.index)
        }
        if out.count > 1 {
            out.sort()
            var unique: [UInt16] = []
            unique.reserveCapacity(out.count)
            for i in out where unique.last != i { unique.append(i) }
            out = unique
        }
        return out
    }
}

extension TimedTable: Sequence {
    /// A walk of a copy of the entries, in index order: the table may
    /// change under it, as under a walk of an array's copy before.
    func makeIterator() -> Array<(key: UInt16, value: Value)>.Iterator { table.entries.makeIterator() }
}

struct DeadlineEntry {
    var time: Instant
    var index: UInt16

    /// Ties go in index order, as a walk of the table would.
    func precedes(_ other: DeadlineEntry) -> Bool {
        time != other.time ? time < other.time : index < other.index
    }
}

/// A binary min-heap of deadlines.
struct DeadlineHeap {
    private var items: [DeadlineEntry] = []

    var count: Int { items.count }
    var top: DeadlineEntry? { items.first }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ e: DeadlineEntry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].precedes(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard let last = items.popLast() else { return }
        guard !items.isEmpty else { return }
        replaceTop(with: last)
    }

    /// Puts `e` where the top was and sifts it down to its place (the
    /// heap must not be empty).
    mutating func replaceTop(with e: DeadlineEntry) {
        items[0] = e
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].precedes(items[smallest]) { smallest = l }
            if r < items.count && items[r].precedes(items[smallest]) { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
