// The tickless timer's deadline queue.
//
// The kernel has no periodic tick: it keeps every pending timeout here,
// ordered by deadline, and programs the one-shot hardware timer for the
// earliest. When the timer fires, the kernel asks for the entries that are
// due, runs them, and programs the next deadline. Entries with the same
// deadline run in the order they were scheduled. Periodic entries are put
// back one period later; if the machine fell behind by several periods they
// are put back once, after `now`, with the number of missed periods told,
// so a stalled guest does not come back to a storm of catch-up calls.
import AmoebaCore

public struct TimerID: Hashable, Sendable {
    public let raw: UInt32
}

public struct TimerQueue<Payload> {
    public struct Entry {
        public let id: TimerID
        public var deadline: Instant
        public let period: Interval?
        public let payload: Payload
    }

    /// A due entry: what to run, and how many of its periods were skipped.
    public struct Expiry {
        public let id: TimerID
        public let deadline: Instant
        public let payload: Payload
        public let missedPeriods: Int64
    }

    private var entries: [Entry] = []
    private var nextID: UInt32 = 1

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The instant the hardware timer should next fire at; nil when idle.
    public var nextDeadline: Instant? { entries.first?.deadline }

    @discardableResult
    public mutating func schedule(at deadline: Instant, every period: Interval? = nil, _ payload: Payload) -> TimerID {
        let id = TimerID(raw: nextID)
        nextID = nextID &+ 1 == 0 ? 1 : nextID &+ 1
        var p = period
        if let q = p, q.microseconds <= 0 { p = nil }
        insert(Entry(id: id, deadline: deadline, period: p, payload: payload))
        return id
    }

    /// Removes a pending timer; false when it already ran or never existed.
    @discardableResult
    public mutating func cancel(_ id: TimerID) -> Bool {
        for i in entries.indices where entries[i].id == id {
            entries.remove(at: i)
            return true
        }
        return false
    }

    public func contains(_ id: TimerID) -> Bool {
        entries.contains { $0.id == id }
    }

    /// Takes every entry due at `now`, earliest first; periodic ones are re-armed.
    public mutating func expire(now: Instant) -> [Expiry] {
        var due: [Expiry] = []
        while let first = entries.first, first.deadline <= now {
            entries.removeFirst()
            var missed: Int64 = 0
            if let period = first.period {
                var again = first
                again.deadline = first.deadline + period
                if again.deadline <= now {
                    let behind = (now - again.deadline).microseconds / period.microseconds + 1
                    missed = behind
                    again.deadline = again.deadline + period * behind
                }
                insert(again)
            }
            due.append(Expiry(id: first.id, deadline: first.deadline, payload: first.payload, missedPeriods: missed))
        }
        return due
    }

    private mutating func insert(_ e: Entry) {
        // Binary search for the first entry strictly later: equal deadlines keep FIFO order.
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].deadline <= e.deadline { lo = mid + 1 } else { hi = mid }
        }
        entries.insert(e, at: lo)
    }
}
