// The state indices an RPC machine has handed out and had back: the next
// call or slot takes the one freed last (its table's place, and the
// deadline filed for it, are then still warm; TimedTable.swift).
//
// Kept in an array, every index freed and every index taken was a write
// with a uniqueness check of the array, four a transaction. Here the stack
// is a block the machine alone holds, as its spare frame buffers are
// (SpareFrames.swift): a push and a pop are a store or a load and a count.
// It grows by doubling when full, which a machine that has handed out as
// many indices as it ever held at once has seen already.
//
// A class, so that the machine (itself a class) changes it in place. Not
// for sharing between threads, like everything in a machine.

final class FreeIndices {
    private var storage: UnsafeMutablePointer<UInt16>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 1)
        storage = UnsafeMutablePointer<UInt16>.allocate(capacity: self.capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// The index freed last, taken off the stack; nil when none is free.
    @inline(__always)
    func pop() -> UInt16? {
        guard count > 0 else { return nil }
        count &-= 1
        return storage[count]
    }

    /// `index` is free again.
    @inline(__always)
    func push(_ index: UInt16) {
        if count == capacity { grow() }
        storage[count] = index
        count &+= 1
    }

    @inline(never)
    private func grow() {
        let larger = UnsafeMutablePointer<UInt16>.allocate(capacity: capacity * 2)
        larger.initialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }
}
