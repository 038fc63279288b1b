// A growable run of elements in a block its owner alone holds, changed
// where they lie.
//
// For a table on the per-transaction path whose elements are changed in
// place (the at-most-once ledger's histories): kept in an array, each
// change began with a uniqueness check of the array, for an array nobody
// else ever held. Elements are reached through addressors, so reading one
// or changing it copies nothing. Order is not kept: a removed element's
// place takes the last one. A class, so that the block is freed with it;
// a struct that holds one must not be copied (the copies would share it).
// Not for sharing between threads, like everything in a machine.

final class DenseBlock<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity = 0
    private(set) var count = 0

    init() {
        base = UnsafeMutablePointer<Element>.allocate(capacity: 0)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The element at `i` (below `count`), where it lies.
    subscript(i: Int) -> Element {
        unsafeAddress {
            precondition(i >= 0 && i < count, "DenseBlock index out of range")
            return UnsafePointer(base + i)
        }
        unsafeMutableAddress {
            precondition(i >= 0 && i < count, "DenseBlock index out of range")
            return base + i
        }
    }

    @inline(__always)
    func append(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    /// The last element, taken off (a stack's pop); nil when empty.
    @inline(__always)
    func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base + count).move()
    }

    /// Takes the element at `i` out; the last one moves into its place.
    func removeSwapping(at i: Int) -> Element {
        precondition(i >= 0 && i < count, "DenseBlock index out of range")
        let taken = (base + i).move()
        count -= 1
        if i != count { (base + i).moveInitialize(from: base + count, count: 1) }
        return taken
    }

    func contains(where test: (borrowing Element) -> Bool) -> Bool {
        firstIndex(where: test) != nil
    }

    @inline(__always)
    func firstIndex(where test: (borrowing Element) -> Bool) -> Int? {
        var i = 0
        while i < count {
            if test(base[i]) { return i }
            i += 1
        }
        return nil
    }

    /// The element at `i` (below `count`), where it lies, for several
    /// reads and changes with one check of `i`: valid until the block
    /// next grows or loses an element.
    @inline(__always)
    func place(_ i: Int) -> UnsafeMutablePointer<Element> {
        precondition(i >= 0 && i < count, "DenseBlock index out of range")
        return base + i
    }

    @inline(never)
    private func grow() {
        let larger = max(2 * capacity, 8)
        let block = UnsafeMutablePointer<Element>.allocate(capacity: larger)
        block.moveInitialize(from: base, count: count)
        base.deallocate()
        base = block
        capacity = larger
    }
}
