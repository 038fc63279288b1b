// The event queue every machine reports through: events come out exactly
// in the order they went in, across the ring's wrap and its growth, none
// lost and none twice; what it holds is released when it goes; and what a
// flood made it grow to is given back once it empties.

import Testing
@testable import FLIP

@Suite struct EventQueueTests {
    @Test func eventsComeOutInOrderAcrossWrapsAndGrowth() {
        let q = EventQueue<[Int]>(capacity: 4)
        var expected: [[Int]] = []
        var taken: [[Int]] = []
        var next = 0
        // Uneven pushes and pops move the head around the ring, so growth
        // happens with the events split across its end.
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 1) {
                q.append([next, next * 3])
                expected.append([next, next * 3])
                next += 1
            }
            for _ in 0..<(round % 5) where !q.isEmpty { taken.append(q.removeFirst()) }
            #expect(q.count == expected.count - taken.count)
        }
        q.drain(into: &taken)
        #expect(q.isEmpty && q.count == 0)
        #expect(taken == expected)
        #expect(q.popFirst() == nil)
    }

    @Test func aDrainAppendsAfterWhatTheBufferHolds() {
        let q = EventQueue<Int>()
        for i in 1...3 { q.append(i) }
        var buffer = [0]
        q.drain(into: &buffer)
        #expect(buffer == [0, 1, 2, 3])
        #expect(q.isEmpty)
    }

    @Test func aFloodsStorageIsGivenBackOnceTheQueueEmpties() {
        let q = EventQueue<Int>()
        for i in 0..<10_000 { q.append(i) }
        #expect(q.capacity >= 10_000)
        var taken: [Int] = []
        while let e = q.popFirst() { taken.append(e) }
        #expect(taken == Array(0..<10_000))
        #expect(q.capacity == EventQueue<Int>.retainedCapacity)
        // Still a working queue after giving its storage back, and one
        // that stays within what it keeps does not shrink or grow.
        for i in 0..<3 { q.append(i) }
        var rest: [Int] = []
        q.drain(into: &rest)
        #expect(rest == [0, 1, 2])
        #expect(q.capacity == EventQueue<Int>.retainedCapacity)
        for i in 0..<1_000 { q.append(i) }
        rest.removeAll()
        q.drain(into: &rest)
        #expect(rest == Array(0..<1_000))
        #expect(q.capacity == EventQueue<Int>.retainedCapacity)
    }

    final class Count { var alive = 0 }
    final class Token {
        let count: Count
        init(_ count: Count) {
            self.count = count
            count.alive += 1
        }
        deinit { count.alive -= 1 }
    }

    @Test func heldEventsAreReleasedWithTheQueue() {
        let count = Count()
        do {
            let q = EventQueue<Token>(capacity: 2)
            for _ in 0..<5 { q.append(Token(count)) }
            _ = q.removeFirst()
            #expect(count.alive == 4)
        }
        #expect(count.alive == 0)
    }
}
