// The scheduler's ready queues with Amoeba's two-level priority.
//
// A thread's priority is its process's level (HIGH, NORM, LOW) first and its
// own level within the process second, giving nine ranks. The queue always
// hands out the oldest ready thread of the best rank, so threads of equal
// rank take turns (round robin when the running one yields or its time
// slice ends) and a lower rank runs only when every better one is blocked.
//
// Each rank is a list linked through the threads themselves. Taking the
// front happens on every switch: `Array.removeFirst` cost ~240 guest
// instructions there (generic replaceSubrange), and a queue over an array
// either moves its elements or keeps storage for taken ones, which grows
// with the threads churned unless it gets a bound of its own. A link per
// thread needs neither: queueing and taking are a few stores, nothing is
// allocated after boot, and the queue can hold every thread there is,
// since a thread is in it at most once. A taken thread's link is cleared,
// so the queue never keeps an exited thread (and its stack) alive.

public enum PriorityLevel: Int, Comparable, Sendable {
    case high = 0
    case normal = 1
    case low = 2

    public static func < (a: PriorityLevel, b: PriorityLevel) -> Bool { a.rawValue < b.rawValue }
}

public struct Priority: Equatable, Sendable {
    public var process: PriorityLevel
    public var thread: PriorityLevel

    public init(process: PriorityLevel = .normal, thread: PriorityLevel = .normal) {
        self.process = process
        self.thread = thread
    }

    /// 0 is the best of nine ranks, 8 the worst.
    public var rank: Int { process.rawValue * 3 + thread.rawValue }

    /// True when `self` should run before `other`.
    public func isBetter(than other: Priority) -> Bool { rank < other.rank }
}

public struct RunQueue<Element: RunQueueLinked> {
    public static var rankCount: Int { 9 }
    /// Each rank's oldest element; it owns the next through its link, and
    /// so on down to the tail.
    private var heads: [Element?]
    /// Each rank's newest element, not owned (its predecessor or the head
    /// owns it): where the next arrival is linked on.
    private var tails: [Unmanaged<Element>?]
    /// Bit r set while rank r holds anything: the best rank is the lowest
    /// set bit, with no walk over empty ranks.
    private var occupied: UInt16 = 0
    public private(set) var count = 0

    public init() {
        heads = [Element?](repeating: nil, count: 9)
        tails = [Unmanaged<Element>?](repeating: nil, count: 9)
    }

    public var isEmpty: Bool { count == 0 }

    /// Queues `e` behind every element of its rank. `e` must not be in the
    /// queue already (the scheduler queues only a thread that is blocked or
    /// running, never a ready one).
    public mutating func enqueue(_ e: Element, priority: Priority) {
        let r = priority.rank
        if let last = tails[r] {
            last._withUnsafeGuaranteedRef { $0.nextInRunQueue = e }
        } else {
            heads[r] = e
            occupied |= 1 << UInt16(r)
        }
        tails[r] = Unmanaged.passUnretained(e)
        count += 1
    }

    /// The rank of the best ready element, nil when nothing is ready.
    public var bestRank: Int? {
        occupied == 0 ? nil : occupied.trailingZeroBitCount
    }

    /// Takes the oldest element of the best rank.
    public mutating func dequeue() -> Element? {
        guard occupied != 0 else { return nil }
        let r = occupied.trailingZeroBitCount
        guard let first = heads[r].take() else { return nil }
        if let next = first.nextInRunQueue.take() {
            heads[r] = next
        } else {
            tails[r] = nil
            occupied &= ~(1 << UInt16(r))
        }
        count -= 1
        return first
    }

    /// Removes the first element matching `match` (a thread killed while ready).
    @discardableResult
    public mutating func remove(where match: (Element) -> Bool) -> Element? {
        for r in 0..<9 {
            var previous: Element? = nil
            var cursor = heads[r]
            while let e = cursor {
                guard match(e) else {
                    cursor = e.nextInRunQueue
                    previous = e
                    continue
                }
                let next = e.nextInRunQueue.take()
                if next == nil {
                    tails[r] = previous.map { Unmanaged.passUnretained($0) }
                    if previous == nil { occupied &= ~(1 << UInt16(r)) }
                }
                if let previous { previous.nextInRunQueue = next } else { heads[r] = next }
                count -= 1
                return e
            }
        }
        return nil
    }
}

/// What the run queue holds: an object that carries its own link, so
/// queueing and taking are a few stores with no storage of the queue's
/// own to grow, compact or give back.
public protocol RunQueueLinked: AnyObject {
    /// The next element of the same rank; nil at the tail and while not
    /// queued. Only the run queue sets it.
    var nextInRunQueue: Self? { get set }
}
