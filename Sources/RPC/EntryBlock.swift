// The places of a TimedTable: an entry or nothing at each state index.
//
// Held in an array (IndexTable), every change of an entry, in place or
// not, began with a uniqueness check of the array, for a table that only
// its machine ever holds: eight a null transaction between the calls and
// the server slots (a call stored, changed, ended; a slot stored, handed
// a request, given its reply, acknowledged, ended). Here the places are a
// block the table alone holds, as the machine's spare frame buffers are
// (SpareFrames.swift): an entry is reached by its address, and nothing
// asks who else holds the block, because nobody does. So a TimedTable
// must not be copied (a copy would share its entries); the machine holds
// its two for its life.
//
// Whether a place holds an entry is a flag beside it, not an optional
// around it: ending an entry destroys it and lowers the flag, where an
// empty optional written over it (a call's two hundred bytes) was built
// apart and copied in; and an entry is changed or read through its
// address with no optional's tag to read first.
//
// A class, so that the block is freed with the table. Not for sharing
// between threads, like everything in a machine.

final class EntryBlock<Value> {
    /// `places` places; one whose flag in `present` is set holds an
    /// initialised entry, any other nothing (uninitialised memory).
    private var base: UnsafeMutablePointer<Value>
    private var present: UnsafeMutablePointer<Bool>
    private(set) var places = 0
    /// Entries present.
    private(set) var count = 0

    init() {
        base = UnsafeMutablePointer<Value>.allocate(capacity: 0)
        present = UnsafeMutablePointer<Bool>.allocate(capacity: 0)
    }

    deinit {
        for i in 0..<places where present[i] { (base + i).deinitialize(count: 1) }
        base.deallocate()
        present.deallocate()
    }

    /// The entry at `i`, where it lies; nil if there is none.
    @inline(__always)
    func entry(_ i: Int) -> UnsafeMutablePointer<Value>? {
        i < places && present[i] ? base + i : nil
    }

    /// The entry at `i`, copied; nil if none. Changed through the
    /// subscript, it is moved out and back (rare paths: the common ones
    /// change it where it lies, `entry`).
    subscript(i: Int) -> Value? {
        get { i < places && present[i] ? base[i] : nil }
        _modify {
            makeRoom(i)
            var held: Value? = present[i] ? (base + i).move() : nil
            if present[i] {
                present[i] = false
                count -= 1
            }
            defer {
                if let v = held.take() {
                    (base + i).initialize(to: v)
                    present[i] = true
                    count += 1
                }
            }
            yield &held
        }
    }

    /// Extends the block with empty places up to and including `i`.
    // The test inlined, the growth apart.
    @inline(__always)
    func makeRoom(_ i: Int) {
        if i >= places { grow(to: i) }
    }

    @inline(never)
    private func grow(to i: Int) {
        let larger = max(i + 1, 2 * places, 16)
        let entries = UnsafeMutablePointer<Value>.allocate(capacity: larger)
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: larger)
        for j in 0..<places where present[j] { (entries + j).moveInitialize(from: base + j, count: 1) }
        flags.initialize(from: present, count: places)
        (flags + places).initialize(repeating: false, count: larger - places)
        base.deallocate()
        present.deallocate()
        base = entries
        present = flags
        places = larger
    }

    /// Stores a new entry at `i`, where there is none.
    @inline(__always)
    func insert(_ value: consuming Value, at i: Int) {
        makeRoom(i)
        assert(!present[i], "insert over an entry")
        (base + i).initialize(to: value)
        present[i] = true
        count += 1
    }

    /// Takes the entry at `i` out, moved, not copied.
    func remove(_ i: Int) -> Value? {
        guard let p = entry(i) else { return nil }
        present[i] = false
        count -= 1
        return p.move()
    }

    /// Destroys the entry at `i` where it lies; there must be one.
    @inline(__always)
    func discard(_ i: Int) {
        assert(entry(i) != nil, "discard of no entry")
        (base + i).deinitialize(count: 1)
        present[i] = false
        count -= 1
    }

    /// The entries present, with their indices, in ascending order: a
    /// copy, so that a walk may change the table as it goes.
    var entries: [(key: UInt16, value: Value)] {
        var out: [(key: UInt16, value: Value)] = []
        out.reserveCapacity(count)
        for i in 0..<places where present[i] { out.append((UInt16(i), base[i])) }
        return out
    }

    /// The indices present, in ascending order.
    var keys: [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(count)
        for i in 0..<places where present[i] { out.append(UInt16(i)) }
        return out
    }
}
