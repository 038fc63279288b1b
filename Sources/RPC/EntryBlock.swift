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
// A class, so that the block is freed with the table. Not for sharing
// between threads, like everything in a machine.

final class EntryBlock<Value> {
    /// `places` places, each initialised: an entry, or nil.
    private(set) var base: UnsafeMutablePointer<Value?>
    private(set) var places = 0
    /// Entries present.
    private(set) var count = 0

    init() {
        base = UnsafeMutablePointer<Value?>.allocate(capacity: 0)
    }

    deinit {
        base.deinitialize(count: places)
        base.deallocate()
    }

    /// The entry at `i`, copied; nil if none.
    @inline(__always)
    subscript(i: Int) -> Value? {
        get { i < places ? base[i] : nil }
        _modify {
            makeRoom(i)
            let was = EntryBlock.isPresent(&base[i])
            yield &base[i]
            let now = EntryBlock.isPresent(&base[i])
            if was != now { count += now ? 1 : -1 }
        }
    }

    // Through `inout`, so that only the entry's tag is read where it lies
    // (compared in a copy, a call with its request was copied whole).
    private static func isPresent(_ entry: inout Value?) -> Bool { entry != nil }

    /// Extends the block with empty places up to and including `i`.
    // The test inlined, the growth apart.
    @inline(__always)
    func makeRoom(_ i: Int) {
        if i >= places { grow(to: i) }
    }

    @inline(never)
    private func grow(to i: Int) {
        let larger = max(i + 1, 2 * places, 16)
        let block = UnsafeMutablePointer<Value?>.allocate(capacity: larger)
        block.moveInitialize(from: base, count: places)
        (block + places).initialize(repeating: nil, count: larger - places)
        base.deallocate()
        base = block
        places = larger
    }

    /// Stores a new entry at `i`, where there is none (see
    /// IndexTable.insert for why it is initialised, not assigned).
    @inline(__always)
    func insert(_ value: consuming Value, at i: Int) {
        makeRoom(i)
        let p = base + i
        var moving: Value? = consume value
        if MemoryLayout<Value?>.size == MemoryLayout<Value>.size {
            p.withMemoryRebound(to: Value.self, capacity: 1) { $0.initialize(to: moving.take()!) }
        } else {
            p.initialize(to: moving.take())
        }
        count += 1
    }

    /// Takes the entry at `i` out, moved, not copied.
    func remove(_ i: Int) -> Value? {
        guard i < places else { return nil }
        let taken = base[i].take()
        if taken != nil { count -= 1 }
        return taken
    }

    /// Destroys the entry at `i` where it lies; there must be one (see
    /// IndexTable.discard).
    @inline(__always)
    func discard(_ i: Int) {
        let p = base + i
        p.withMemoryRebound(to: Value.self, capacity: 1) { _ = $0.deinitialize(count: 1) }
        p.initialize(to: nil)
        count -= 1
    }

    /// The entries present, with their indices, in ascending order: a
    /// copy, so that a walk may change the table as it goes.
    var entries: [(key: UInt16, value: Value)] {
        var out: [(key: UInt16, value: Value)] = []
        out.reserveCapacity(count)
        for i in 0..<places { if let v = base[i] { out.append((UInt16(i), v)) } }
        return out
    }

    /// The indices present, in ascending order.
    var keys: [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(count)
        for i in 0..<places where EntryBlock.isPresent(&base[i]) { out.append(UInt16(i)) }
        return out
    }
}
