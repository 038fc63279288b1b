// The pool the network thread keeps its request records in.
import Testing
@testable import KernelCore

private final class Record {
    let id: Int
    init(_ id: Int) { self.id = id }
}

/// An object is handed out again only once the pool holds the only
/// reference: a server still holding its last request keeps that record
/// out of reuse, and the one before it comes back.
@Test func poolReusesOnlyWhatNobodyElseHolds() {
    var pool = ReusePool<Record>(capacity: 8)
    #expect(pool.take() == nil)
    var held: Record? = Record(1)
    pool.give(held!)
    #expect(pool.take() == nil)         // the server still holds record 1
    pool.give(Record(2))
    held = nil                          // ... until its next request
    #expect(pool.take()?.id == 1)
    #expect(pool.take()?.id == 2)
    #expect(pool.take() == nil && pool.count == 0)
    #expect(pool.reused == 2 && pool.missed == 3)
    _ = held
}

/// Two records alternate when each is held until the next request.
@Test func poolAlternatesTwoRecordsUnderAServerHoldingItsLastRequest() {
    var pool = ReusePool<Record>(capacity: 8)
    var made = 0
    var serverHolds: Record? = nil
    for _ in 0..<100 {
        let r = pool.take() ?? { made += 1; return Record(made) }()
        serverHolds = r                 // the server takes the new request, dropping the old
        pool.give(r)                    // its reply is posted
    }
    #expect(made == 2)
    _ = serverHolds
}

/// The pool never holds more than its capacity: the oldest object is let
/// go (and freed by its last holder), and the pool keeps the rest in order.
@Test func poolIsBoundedAndLetsGoOfTheOldest() {
    var pool = ReusePool<Record>(capacity: 3)
    weak var first: Record?
    do {
        let r = Record(0)
        first = r
        pool.give(r)
    }
    for i in 1...3 { pool.give(Record(i)) }
    #expect(first == nil && pool.count == 3)
    #expect(pool.take()?.id == 1 && pool.take()?.id == 2 && pool.take()?.id == 3)
    #expect(pool.take() == nil)
}
