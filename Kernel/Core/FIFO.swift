// A first-in first-out queue that takes from its front without moving the
// rest: an array and the index of its first live element.
//
// The scheduler's ready queues hand out their oldest thread on every
// switch. `Array.removeFirst` shifts every element behind it down one, and
// in the kernel it goes through the generic replaceSubrange, about a
// hundred instructions per switch under the network's load, paid twice per
// null transaction. Here taking the front is an index increment; the dead
// front is cut off (the same generic call, and so is emptying an array in
// place) only once it is 32 elements long and more than half the storage:
// once per 32 takes at most, and for a queue that empties and refills (the
// run queue nearly always) with only the live tail to move.

public struct FIFO<Element> {
    /// Taken slots hold nil: a taken element must not stay retained by
    /// the queue (a thread that ran and exited would never be freed).
    private var storage: [Element?] = []
    private var head = 0

    public init() {}

    public var count: Int { storage.count - head }
    public var isEmpty: Bool { head == storage.count }

    public mutating func append(_ e: Element) {
        storage.append(e)
    }

    /// The oldest element, taken out; nil when empty.
    public mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let e = storage[head]
        storage[head] = nil
        head += 1
        if head >= 32 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return e
    }

    /// Removes the oldest element matching `match`.
    public mutating func remove(where match: (Element) -> Bool) -> Element? {
        guard let i = storage[head...].firstIndex(where: { $0.map(match) ?? false }) else { return nil }
        return storage.remove(at: i)
    }
}
