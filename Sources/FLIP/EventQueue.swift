// A first-in first-out queue of events, in a ring that keeps its storage.
//
// The box and the RPC machines report everything they do as events, and a
// node drains them after every frame: a null transaction passes a dozen
// events through these queues. Kept in arrays, each event was appended,
// the array swapped out to the driver, reversed so it could be popped
// oldest first, and popped: every step a uniqueness check and a generic
// move, several of them an outlined copy of the enum and the retain and
// release of the frame it carries. In a ring an event is moved in once
// and moved out once, in order; the storage grows when full (an event is
// never dropped), so a node in steady state does not allocate for its
// events. What a flood made it grow to is given back once the queue
// empties: a stranger's burst of frames must not pin memory for the life
// of the node. Up to `retainedCapacity` slots are kept, far above what one
// frame's handling reports, so ordinary traffic never grows and shrinks.
//
// A class, so that its owner (itself a class) changes it in place with no
// uniqueness check. Not for sharing between threads, like everything in
// a node.

public final class EventQueue<Element> {
    @usableFromInline var storage: UnsafeMutablePointer<Element>
    /// A power of two, so positions wrap with a mask.
    @usableFromInline var capacity: Int
    /// Where the oldest event is.
    @usableFromInline var head = 0
    @usableFromInline var stored = 0
    /// The most slots an empty queue keeps.
    public static var retainedCapacity: Int { 256 }

    @inlinable public var count: Int { stored }

    public init(capacity: Int = 16) {
        var c = 1
        while c < capacity { c *= 2 }
        self.capacity = c
        storage = UnsafeMutablePointer<Element>.allocate(capacity: c)
    }

    deinit {
        while stored > 0 {
            (storage + head).deinitialize(count: 1)
            head = (head + 1) & (capacity - 1)
            stored -= 1
        }
        storage.deallocate()
    }

    @inlinable public var isEmpty: Bool { stored == 0 }

    /// Adds `event` after the others; moved in, not copied. Inlined where
    /// it is used: as a call, the event was passed in memory and copied
    /// again into its place.
    @inlinable @inline(__always) public func append(_ event: consuming Element) {
        if stored == capacity { grow() }
        // Wrapping arithmetic: the counts stay far inside Int's range, and
        // checked additions cost a branch each on every event moved.
        (storage + ((head &+ stored) & (capacity &- 1))).initialize(to: event)
        stored &+= 1
    }

    /// Takes the oldest event out, moved rather than copied.
    @inlinable public func popFirst() -> Element? {
        guard stored > 0 else { return nil }
        return removeFirst()
    }

    /// Takes the oldest event out; the queue must not be empty. No
    /// optional wraps the event: for an enum with payloads that wrapping
    /// goes through its value witnesses, a call per event.
    @inlinable public func removeFirst() -> Element {
        precondition(stored > 0, "removeFirst on an empty event queue")
        let e = (storage + head).move()
        head = (head &+ 1) & (capacity &- 1)
        stored &-= 1
        if stored == 0 && capacity > Self.retainedCapacity { shrink() }
        return e
    }

    /// What `look` says of the oldest element, read where it lies (the
    /// queue must not be empty).
    @inlinable public func peekFirst<R>(_ look: (borrowing Element) -> R) -> R {
        precondition(stored > 0, "peekFirst on an empty event queue")
        return look((storage + head).pointee)
    }

    /// Moves every event, oldest first, onto the end of `buffer`.
    @inlinable public func drain(into buffer: inout [Element]) {
        buffer.reserveCapacity(buffer.count + stored)
        while stored > 0 { buffer.append(removeFirst()) }
    }

    /// Doubles the ring, its events moved to the front in order.
    @usableFromInline func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        let first = min(stored, capacity - head)
        bigger.moveInitialize(from: storage + head, count: first)
        (bigger + first).moveInitialize(from: storage, count: stored - first)
        storage.deallocate()
        storage = bigger
        capacity *= 2
        head = 0
    }

    /// Gives back what a flood grew the ring to; only when empty, so
    /// nothing moves.
    @usableFromInline func shrink() {
        storage.deallocate()
        capacity = Self.retainedCapacity
        storage = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        head = 0
    }
}
