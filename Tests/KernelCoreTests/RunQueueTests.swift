// The two-level priority ready queues.
import Testing
@testable import KernelCore

@Test func ranksOrderProcessLevelFirstThenThreadLevel() {
    let hl = Priority(process: .high, thread: .low)
    let nh = Priority(process: .normal, thread: .high)
    #expect(hl.isBetter(than: nh))
    #expect(Priority(process: .high, thread: .high).rank == 0)
    #expect(Priority(process: .low, thread: .low).rank == 8)
    #expect(!Priority().isBetter(than: Priority()))
}

@Test func dequeuesBestRankOldestFirst() {
    var q = RunQueue<String>()
    q.enqueue("low", priority: Priority(process: .low))
    q.enqueue("n1", priority: Priority())
    q.enqueue("hi", priority: Priority(process: .high, thread: .low))
    q.enqueue("n2", priority: Priority())
    #expect(q.count == 4)
    #expect(q.bestRank == Priority(process: .high, thread: .low).rank)
    var order: [String] = []
    while let e = q.dequeue() { order.append(e) }
    #expect(order == ["hi", "n1", "n2", "low"])
    #expect(q.isEmpty && q.bestRank == nil)
}

@Test func removeTakesAThreadOutOfTheQueue() {
    var q = RunQueue<Int>()
    for i in 0..<5 { q.enqueue(i, priority: Priority()) }
    let removed = q.remove { $0 == 3 }, again = q.remove { $0 == 3 }
    #expect(removed == 3 && again == nil)
    var order: [Int] = []
    while let e = q.dequeue() { order.append(e) }
    #expect(order == [0, 1, 2, 4])
}
