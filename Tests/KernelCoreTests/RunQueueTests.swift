// The two-level priority ready queues.
import Testing
@testable import KernelCore

/// A queued thread stands in: an object carrying its own link.
private final class Item: RunQueueLinked, Equatable, CustomStringConvertible {
    let name: String
    var nextInRunQueue: Item? = nil
    init(_ name: String) { self.name = name }
    static func == (a: Item, b: Item) -> Bool { a.name == b.name }
    var description: String { name }
}

@Test func ranksOrderProcessLevelFirstThenThreadLevel() {
    let hl = Priority(process: .high, thread: .low)
    let nh = Priority(process: .normal, thread: .high)
    #expect(hl.isBetter(than: nh))
    #expect(Priority(process: .high, thread: .high).rank == 0)
    #expect(Priority(process: .low, thread: .low).rank == 8)
    #expect(!Priority().isBetter(than: Priority()))
}

@Test func dequeuesBestRankOldestFirst() {
    var q = RunQueue<Item>()
    q.enqueue(Item("low"), priority: Priority(process: .low))
    q.enqueue(Item("n1"), priority: Priority())
    q.enqueue(Item("hi"), priority: Priority(process: .high, thread: .low))
    q.enqueue(Item("n2"), priority: Priority())
    #expect(q.count == 4)
    #expect(q.bestRank == Priority(process: .high, thread: .low).rank)
    var order: [String] = []
    while let e = q.dequeue() { order.append(e.name) }
    #expect(order == ["hi", "n1", "n2", "low"])
    #expect(q.isEmpty && q.bestRank == nil)
}

@Test func removeTakesAThreadOutOfTheQueue() {
    var q = RunQueue<Item>()
    for i in 0..<5 { q.enqueue(Item("\(i)"), priority: Priority()) }
    let removed = q.remove { $0.name == "3" }, again = q.remove { $0.name == "3" }
    #expect(removed?.name == "3" && again == nil)
    var order: [String] = []
    while let e = q.dequeue() { order.append(e.name) }
    #expect(order == ["0", "1", "2", "4"])
}

/// Each rank keeps arrival order however queueing, taking and removal
/// (at the front, the middle and the tail) interleave, and the count and
/// best rank stay true.
@Test func ranksKeepArrivalOrderThroughInterleavedTakesAndRemovals() {
    var q = RunQueue<Item>()
    var model: [[String]] = Array(repeating: [], count: 9)
    var next = 0
    for round in 0..<400 {
        for k in 0..<(round % 7) {
            let rank = (round + k) % 3 * 4   // ranks 0, 4 and 8
            let p = Priority(process: PriorityLevel(rawValue: rank / 3)!, thread: PriorityLevel(rawValue: rank % 3)!)
            q.enqueue(Item("\(next)"), priority: p)
            model[rank].append("\(next)")
            next += 1
        }
        for _ in 0..<(round % 5) {
            let expected = model.firstIndex { !$0.isEmpty }.map { model[$0].removeFirst() }
            #expect(q.dequeue()?.name == expected)
        }
        if round % 11 == 0, let r = model.firstIndex(where: { !$0.isEmpty }) {
            let victim = round % 3 == 0 ? model[r].last! : model[r][model[r].count / 2]
            #expect(q.remove { $0.name == victim }?.name == victim)
            model[r].removeAll { $0 == victim }
        }
        #expect(q.count == model.reduce(0) { $0 + $1.count })
        #expect(q.bestRank == model.firstIndex { !$0.isEmpty })
    }
    while let e = q.dequeue() {
        let r = model.firstIndex { !$0.isEmpty }!
        #expect(e.name == model[r].removeFirst())
    }
    #expect(model.allSatisfy { $0.isEmpty } && q.isEmpty && q.bestRank == nil)
}

/// The queue keeps nothing alive it has handed out or removed: it holds
/// threads, and one that ran and exited must be freed with its stack.
@Test func runQueueLetsGoOfWhatItHandsOut() {
    var q = RunQueue<Item>()
    weak var taken: Item?
    weak var removed: Item?
    do {
        let a = Item("a"), b = Item("b"), c = Item("c")
        taken = a
        removed = c
        q.enqueue(a, priority: Priority())
        q.enqueue(b, priority: Priority())
        q.enqueue(c, priority: Priority())
        _ = q.dequeue()
        _ = q.remove { $0.name == "c" }
        #expect(a.nextInRunQueue == nil && c.nextInRunQueue == nil)
    }
    #expect(taken == nil && removed == nil)
    #expect(q.count == 1 && q.dequeue()?.name == "b")
    // Queued again after its rank emptied through a removal of its tail.
    q.enqueue(Item("d"), priority: Priority())
    #expect(q.dequeue()?.name == "d" && q.isEmpty)
}
