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

/// The queue behind each rank keeps arrival order however appends and
/// takes interleave, across the points where it drops its dead front.
@Test func fifoKeepsOrderAcrossItsCompaction() {
    var f = FIFO<Int>()
    var model: [Int] = []
    var next = 0
    for round in 0..<400 {
        for _ in 0..<(round % 7) { f.append(next); model.append(next); next += 1 }
        for _ in 0..<(round % 5) {
            let got = f.popFirst()
            #expect(got == (model.isEmpty ? nil : model.removeFirst()))
        }
        if round % 11 == 0, let victim = model.dropFirst(2).first {
            #expect(f.remove { $0 == victim } == victim)
            model.removeAll { $0 == victim }
        }
        #expect(f.count == model.count)
    }
    while let e = f.popFirst() { #expect(e == model.removeFirst()) }
    #expect(model.isEmpty && f.isEmpty)
}

/// A taken element is not kept alive by the queue: the run queue holds
/// threads, and one that ran and exited must be freed with its stack.
@Test func fifoLetsGoOfWhatItHandsOut() {
    final class Token {}
    var f = FIFO<Token>()
    weak var first: Token?
    do {
        let t = Token()
        first = t
        f.append(t)
        f.append(Token())
        _ = f.popFirst()
    }
    #expect(first == nil)
    #expect(f.count == 1)
}
