// The RPC node's tables of client calls and server slots, keyed by the
// small state indices the node itself hands out (the `dest` and `from` of
// an amp header).
//
// A peer never chooses these keys: the node allocates them from a free
// list, low numbers first, and bounds them by its state table. So a plain
// array indexed by the number serves where a hashed dictionary cost a
// SipHash per look-up, several times per transaction: a real price on the
// kernel's 32-bit guest. Walks go in index order, which also makes timer
// sweeps deterministic (a dictionary's order changed from run to run).

public struct IndexTable<Value> {
    @usableFromInline var storage: [Value?] = []
    /// Entries present.
    @usableFromInline var present = 0
    @inlinable public var count: Int { present }

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable public subscript(index: UInt16) -> Value? {
        get {
            let i = Int(index)
            return i < storage.count ? storage[i] : nil
        }
        _modify {
            let i = Int(index)
            makeRoom(i)
            let was = storage[i] != nil
            yield &storage[i]
            let now = storage[i] != nil
            if was != now { present += now ? 1 : -1 }
        }
    }

    /// Stores a new entry at `index`, where the caller knows there is none
    /// (an index just handed out): what it held need not be looked at
    /// before and after, as an assignment through the subscript does.
    @inlinable public mutating func insert(_ value: consuming Value, at index: UInt16) {
        let i = Int(index)
        makeRoom(i)
        assert(storage[i] == nil, "insert over an entry")
        // Initialised over the empty place rather than assigned: an
        // assignment destroyed the nil there first, through the outlined
        // destroy of the whole optional entry (a call reading the entry's
        // tag through its value witnesses, some sixty instructions for an
        // empty place that holds nothing to release).
        var moving: Value? = consume value
        storage.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress! + i
            if MemoryLayout<Value?>.size == MemoryLayout<Value>.size {
                // The optional has no tag of its own: its nil is a bit
                // pattern no entry takes, so an entry stored in the place
                // is the optional holding it. Stored as an entry, it is
                // moved once, not built as an optional first.
                p.withMemoryRebound(to: Value.self, capacity: 1) { $0.initialize(to: moving.take()!) }
            } else {
                p.initialize(to: moving.take())
            }
        }
        present += 1
    }

    /// Extends the storage with empty places up to and including `i`.
    // The test inlined, the growth apart: the place nearly always exists,
    // and the call to find that out cost more than the test.
    @inlinable @inline(__always) mutating func makeRoom(_ i: Int) {
        if i >= storage.count { grow(to: i) }
    }

    @inlinable @inline(never) mutating func grow(to i: Int) {
        storage.reserveCapacity(i + 1)
        while storage.count <= i { storage.append(nil) }
    }

    /// Takes the entry out of the table: moved, not copied.
    @inlinable public mutating func remove(_ index: UInt16) -> Value? {
        let i = Int(index)
        guard i < storage.count else { return nil }
        // Taken first and looked at after: asking the array first whether
        // the place is empty copied the whole entry out to read its tag.
        let taken = storage[i].take()
        if taken != nil { present -= 1 }
        return taken
    }

    /// Destroys the entry at `index` where it lies; there must be one.
    /// Taken out first (`remove`), a large entry was copied out whole, a
    /// memory copy, only to be destroyed.
    @inlinable public mutating func discard(_ index: UInt16) {
        let i = Int(index)
        storage.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress! + i
            // The entry is there, at the start of its optional's place:
            // destroyed as an entry, not as an optional (whose generic
            // destroy reads the tag through its value witnesses first).
            p.withMemoryRebound(to: Value.self, capacity: 1) { _ = $0.deinitialize(count: 1) }
            p.initialize(to: nil)
        }
        present -= 1
    }

    /// The indices present, in ascending order.
    @inlinable public var keys: [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(count)
        for (i, v) in storage.enumerated() where v != nil { out.append(UInt16(i)) }
        return out
    }
}

extension IndexTable: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline let storage: [Value?]
        @usableFromInline var position = 0

        @inlinable init(storage: [Value?]) { self.storage = storage }

        @inlinable public mutating func next() -> (key: UInt16, value: Value)? {
            while position < storage.count {
                let i = position
                position += 1
                if let v = storage[i] { return (UInt16(i), v) }
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(storage: storage) }
}
