// The bench fixture's record of executed (client, sequence) pairs: exact
// for any order of arrival, and holding nothing for in-order arrivals.
import Testing
import TestSupport
@testable import KernelCore

/// In order, as a load generator sends: each is new once, nothing is
/// held beyond the mark, and every replay is a duplicate.
@Test func inOrderSequencesAreNewOnceAndHoldNothing() {
    var seen = SeenSequences()
    for s in UInt64(0)..<1000 {
        let new = seen.insert(client: 7, sequence: s)
        #expect(new)
    }
    #expect(seen.heldAboveMarks == 0)
    for s in [UInt64(0), 1, 500, 999] {
        let new = seen.insert(client: 7, sequence: s)
        #expect(!new)
    }
    let next = seen.insert(client: 7, sequence: 1000)
    #expect(next)
}

/// Against a plain set, in a shuffled order with replays and several
/// clients (the same numbers under different tags are different requests).
@Test func anyOrderAgreesWithASet() {
    var seen = SeenSequences()
    var reference = Set<[UInt64]>()
    var random = SeededRandom(42)
    for _ in 0..<20_000 {
        let client = random.next() % 3
        // Mostly near the front of each client's numbers, some far ahead
        // (never contiguous, as the warm-up's sequence << 16 is not).
        let sequence = random.next() % 8 == 0 ? (random.next() % 4096) << 16 : random.next() % 600
        let expected = reference.insert([client, sequence]).inserted
        let new = seen.insert(client: client, sequence: sequence)
        #expect(new == expected)
    }
    // What was early joins the mark once the gap fills: the 600 low
    // numbers of each client all came, so only the far ones are held.
    for c in UInt64(0)..<3 {
        for s in UInt64(0)..<600 {
            let new = seen.insert(client: c, sequence: s)
            #expect(!new)
        }
    }
    #expect(seen.heldAboveMarks == reference.filter { $0[1] >= 600 }.count)
}
