// The tickless timer's deadline queue: order, ties, cancel, periodic re-arm.
import Testing
import AmoebaCore
@testable import KernelCore
import TestSupport

private func at(_ us: Int64) -> Instant { Instant(microseconds: us) }

@Test func expiresInDeadlineOrderWithFIFOTies() {
    var q = TimerQueue<String>()
    q.schedule(at: at(300), "c")
    q.schedule(at: at(100), "a")
    q.schedule(at: at(200), "b1")
    q.schedule(at: at(200), "b2")
    #expect(q.nextDeadline == at(100))
    let none = q.expire(now: at(99))
    #expect(none.isEmpty)
    let first = q.expire(now: at(250)).map(\.payload)
    #expect(first == ["a", "b1", "b2"])
    #expect(q.nextDeadline == at(300))
    let last = q.expire(now: at(1000)).map(\.payload)
    #expect(last == ["c"])
    #expect(q.nextDeadline == nil)
}

@Test func cancelRemovesOnlyThatTimer() {
    var q = TimerQueue<Int>()
    let a = q.schedule(at: at(10), 1)
    let b = q.schedule(at: at(10), 2)
    let once = q.cancel(a), twice = q.cancel(a)
    #expect(once && !twice)
    #expect(q.contains(b))
    let due = q.expire(now: at(10)).map(\.payload)
    #expect(due == [2])
    let afterRun = q.cancel(b)
    #expect(!afterRun)
}

@Test func periodicTimersRearmAndReportMissedPeriods() {
    var q = TimerQueue<Int>()
    let p = q.schedule(at: at(100), every: .microseconds(100), 7)
    let first = q.expire(now: at(100))
    #expect(first.count == 1)
    #expect(q.nextDeadline == at(200))
    // The machine stalls past three more deadlines: one call, told of the misses.
    let late = q.expire(now: at(450))
    #expect(late.count == 1)
    #expect(late[0].deadline == at(200))
    #expect(late[0].missedPeriods == 2)
    #expect(q.nextDeadline == at(500))
    let cancelled = q.cancel(p)
    #expect(cancelled && q.isEmpty)
}

@Test func nonPositivePeriodMeansOneShot() {
    var q = TimerQueue<Int>()
    q.schedule(at: at(5), every: .microseconds(0), 1)
    let due = q.expire(now: at(5))
    #expect(due.count == 1 && q.isEmpty)
}

@Test func manyRandomTimersComeOutSorted() {
    var q = TimerQueue<Int>()
    var rng = SeededRandom(7)
    var deadlines: [Int64] = []
    for i in 0..<2000 {
        let d = Int64(rng.below(100_000))
        deadlines.append(d)
        q.schedule(at: at(d), i)
    }
    var last: Int64 = -1
    var n = 0
    var now: Int64 = 0
    while !q.isEmpty {
        now += 997
        for e in q.expire(now: at(now)) {
            #expect(e.deadline.microseconds >= last)
            #expect(e.deadline.microseconds <= now)
            last = e.deadline.microseconds
            n += 1
        }
    }
    #expect(n == 2000)
}
