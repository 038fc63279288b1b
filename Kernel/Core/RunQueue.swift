// The scheduler's ready queues with Amoeba's two-level priority.
//
// A thread's priority is its process's level (HIGH, NORM, LOW) first and its
// own level within the process second, giving nine ranks. The queue always
// hands out the oldest ready thread of the best rank, so threads of equal
// rank take turns (round robin when the running one yields or its time
// slice ends) and a lower rank runs only when every better one is blocked.

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

public struct RunQueue<Element> {
    public static var rankCount: Int { 9 }
    private var queues: [[Element]]
    public private(set) var count = 0

    public init() {
        queues = [[Element]](repeating: [], count: 9)
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func enqueue(_ e: Element, priority: Priority) {
        queues[priority.rank].append(e)
        count += 1
    }

    /// The rank of the best ready element, nil when nothing is ready.
    public var bestRank: Int? {
        for r in 0..<9 where !queues[r].isEmpty { return r }
        return nil
    }

    /// Takes the oldest element of the best rank.
    public mutating func dequeue() -> Element? {
        for r in 0..<9 where !queues[r].isEmpty {
            count -= 1
            return queues[r].removeFirst()
        }
        return nil
    }

    /// Removes the first element matching `match` (a thread killed while ready).
    @discardableResult
    public mutating func remove(where match: (Element) -> Bool) -> Element? {
        for r in 0..<9 {
            if let i = queues[r].firstIndex(where: match) {
                count -= 1
                return queues[r].remove(at: i)
            }
        }
        return nil
    }
}
