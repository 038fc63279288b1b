// A first-in first-out queue that takes from its front without moving the
// rest: an array and the index of its first live element.
//
// The scheduler's ready queues hand out their oldest thread on every
// switch. `Array.removeFirst` shifts every element behind it down one, and
// in the kernel it goes through the generic replaceSubrange, about a
// hundred instructions per switch under the network's load, paid twice per
// null transaction. Here taking the front is an index increment; the dead
// front is cut off only once it is both longer than a few elements and
// more than half the storage, so a queue that empties and refills (the
// common case) never copies at all.

public struct FIFO<Element> {
    private var storage: [Element] = []
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
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 16 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return e
    }

    /// Removes the oldest element matching `match`.
    public mutating func remove(where match: (Element) -> Bool) -> Element? {
        guard let i = storage[head...].firstIndex(where: match) else { return nil }
        return storage.remove(at: i)
    }
}
