// Spare frames, handed back by the driver, for the next fragments.
//
// A message longer than a frame goes out as fragments of nearly 1,514
// bytes, each built in an array of its own. Blocks that size are beyond
// the allocator's per-thread cache (glibc's tcache stops at 1,032 bytes),
// so each frame cost a trip through its general malloc and free: some five
// hundred instructions a fragment, about a ninth of what a 30000-byte
// transaction costs. A driver that is done with a frame (the link copied
// it out, or the peer in the same process has read it) may hand it back
// (`FLIPBox.recycle(frame:)`); the box keeps a few such frames and builds
// the next fragments in their storage.
//
// Only storage no one else holds is ever written to, and that rests on
// copy-on-write, not on the driver: emptying a frame that is still shared
// (RPC keeps a message of one frame to send again; a delivery may be a view
// of the frame it arrived in) gives this copy fresh storage of the same
// size and leaves the other holder's bytes alone. That fresh storage is
// kept too: it is the allocation the next fragment would have made, made
// now. Only frames large enough for any fragment are kept, and only a few
// of them, so a driver that hands back everything costs the box a compare
// for each small frame and holds at most `limit` frames' memory. Drivers
// that never hand frames back lose nothing: the builder then allocates,
// as it always did.

/// A bounded stack of empty frames, each with room for a whole fragment.
struct FramePool {
    /// How many spare frames are kept at most: the 21 fragments of a
    /// 30000-byte message, the largest RPC sends, which a Linux host's
    /// credit grant lets go out at once, and some to spare.
    static let limit = 32

    private(set) var spares: [[UInt8]] = []
    /// The least capacity a kept frame has: the largest frame the box builds.
    let minimumCapacity: Int

    init(configuration: FLIPConfiguration) {
        minimumCapacity = max(FLIPBox.headroom + max(1, configuration.maxFragmentData), EthernetFrame.minimumSize)
    }

    /// Keeps `frame`'s storage, emptied, if it is large enough and there is
    /// room; drops it otherwise.
    @inline(__always)
    mutating func give(_ frame: consuming [UInt8]) {
        guard wants(frame) else { return }
        keep(frame)
    }

    /// Whether `frame` would be kept: large enough, and room for it.
    @inline(__always)
    func wants(_ frame: borrowing [UInt8]) -> Bool {
        spares.count < FramePool.limit && frame.capacity >= minimumCapacity
    }

    /// Keeps `frame`'s storage, emptied; the caller asked `wants`.
    @inline(__always)
    mutating func keep(_ frame: consuming [UInt8]) {
        // Unique storage is emptied in place; shared storage is left to its
        // other holders, and this frame gets storage of its own
        // (copy-on-write). The parameter itself is changed and moved on: a
        // copy of it would share the storage until the parameter died.
        frame.removeAll(keepingCapacity: true)
        spares.append(frame)
    }

    /// An empty frame to build one of `count` bytes in: a spare if one is
    /// kept, else fresh storage with room for any fragment, so that even a
    /// short last fragment's frame can be kept when it comes back.
    mutating func take(count: Int) -> [UInt8] {
        guard count <= minimumCapacity else { return [] }
        if let spare = spares.popLast() { return spare }
        var fresh: [UInt8] = []
        fresh.reserveCapacity(minimumCapacity)
        return fresh
    }
}

extension FLIPBox {
    /// Hands back `frame`, one the box gave out to be sent (or one that
    /// arrived and was handed to `receive`), once the driver is done with
    /// it: the box may build a later frame in its storage. Handing back is
    /// optional, and safe whoever else still holds the frame: the box never
    /// writes into storage that is shared (FramePool.swift).
    public func recycle(frame: consuming [UInt8]) {
        // The drop is the common case: a frame too small to keep (every
        // small message's) costs two compares and its release.
        guard flow.pool.wants(frame) else { return }
        keepSpare(frame)
    }

    /// Keeps `frame` in the pool, out of line: the box itself is passed,
    /// so `recycle` saves no registers and only jumps here.
    @inline(never)
    func keepSpare(_ frame: consuming [UInt8]) {
        flow.pool.keep(frame)
    }

    /// How many spare frames the box keeps now.
    public var spareFrameCount: Int { flow.pool.spares.count }
}
