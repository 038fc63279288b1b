// The few frame buffers an RPC machine keeps for its next messages.
//
// Every message the machine sends is built in a buffer that then goes out
// as the frame itself; a buffer whose message is done comes back here and
// the next message is built in it (RPCNode.swift, "frame buffers"). Kept
// in an array, each take and each give was a call into the standard
// library with a uniqueness check of the array, three or four times a
// transaction at each end, for a stack that never holds more than a
// handful. Here the stack is a fixed block the machine alone holds: a take
// moves the top buffer out, a give moves one in, and neither checks who
// else holds the block, because nobody does.
//
// A class, so that the machine (itself a class) changes it in place. Not
// for sharing between threads, like everything in a machine.

final class SpareFrames {
    private let storage: UnsafeMutablePointer<[UInt8]>
    /// The most buffers kept.
    let limit: Int
    private(set) var count = 0

    init(limit: Int) {
        self.limit = max(limit, 0)
        storage = UnsafeMutablePointer<[UInt8]>.allocate(capacity: self.limit)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// The buffer given back last, moved out; an empty array when none is kept.
    @inline(__always)
    func take() -> [UInt8] {
        guard count > 0 else { return [] }
        count &-= 1
        return (storage + count).move()
    }

    /// Keeps `frame` unless `limit` buffers are kept already.
    @inline(__always)
    func give(_ frame: consuming [UInt8]) {
        guard count < limit else { return }
        (storage + count).initialize(to: frame)
        count &+= 1
    }
}
