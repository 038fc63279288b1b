import Testing
import AmoebaCore
import TestSupport
@testable import RPC

/// The deadline heap files lazily (a deadline that moves later files
/// nothing while an earlier entry for its index is in the heap): the
/// earliest deadline and what is due must still come out exactly as a
/// walk of the table gives them, whatever the order of changes.
@Suite struct TimedTableTests {
    struct Entry: Timed {
        var deadline: Instant?
    }

    /// What a walk of every entry says.
    static func walkEarliest(_ model: [UInt16: Instant?]) -> Instant? {
        var d: Instant?
        for (_, v) in model { if let v { d = d.map { min($0, v) } ?? v } }
        return d
    }

    @Test(arguments: 0..<24)
    func lazyFilingAgreesWithAWalk(seed: Int) {
        var random = SeededRandom(UInt64(seed) &* 7919 &+ 1)
        var table = TimedTable<Entry>()
        var model: [UInt16: Instant?] = [:]
        var now = Instant(microseconds: 1_000)
        for _ in 0..<3_000 {
            let index = UInt16.random(in: 1...12, using: &random)
            let later = Instant(microseconds: now.microseconds + Int64.random(in: 0...400, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1:
                // A new entry where there is none (an index just allocated).
                guard model[index] == nil else { continue }
                let d: Instant? = Bool.random(using: &random) ? later : nil
                table.insert(Entry(deadline: d), at: index)
                model[index] = .some(d)
            case 2, 3:
                // Changed through `update`, which files what it returns.
                let d: Instant? = Int.random(in: 0..<4, using: &random) == 0 ? nil : later
                let changed = table.update(index) { e in
                    e.deadline = d
                    return d
                }
                #expect(changed == (model[index] != nil))
                if changed { model[index] = .some(d) }
            case 4:
                // Changed through the subscript, as a copy stored back.
                guard var e = table[index] else { continue }
                e.deadline = Bool.random(using: &random) ? later : nil
                table[index] = e
                model[index] = .some(e.deadline)
            case 5 where model[index] != nil && Bool.random(using: &random):
                // Ended where it lies, as a reply ends its call.
                table.discard(index)
                model[index] = nil
            case 5, 6:
                let removed = table.remove(index)
                #expect((removed != nil) == (model[index] != nil))
                model[index] = nil
            case 7:
                #expect(table.earliest == TimedTableTests.walkEarliest(model), "seed \(seed)")
            default:
                // Time passes; whatever is due is cleared, as `tick` does.
                now = Instant(microseconds: now.microseconds + Int64.random(in: 0...150, using: &random))
                let due = table.due(at: now)
                var expected: [UInt16] = []
                for (i, v) in model { if let d = v, d <= now { expected.append(i) } }
                #expect(due == expected.sorted(), "seed \(seed)")
                for i in due {
                    table.update(i) { e in
                        e.deadline = nil
                        return nil
                    }
                    model[i] = .some(nil)
                }
            }
            #expect(table.heapCount <= 2 * table.count + 65)
        }
        #expect(table.earliest == TimedTableTests.walkEarliest(model))
    }

    final class Held {}
    struct Holding: Timed {
        var deadline: Instant?
        var held: Held
        var bytes: [UInt8]
    }

    /// `discard` ends an entry where it lies: what it held is released,
    /// the place is empty, and its deadline no longer counts.
    @Test func discardEndsTheEntryWhereItLies() {
        var table = TimedTable<Holding>()
        weak var watched: Held?
        do {
            let held = Held()
            watched = held
            table.insert(Holding(deadline: Instant(microseconds: 5), held: held, bytes: [1, 2, 3]), at: 3)
            table.insert(Holding(deadline: nil, held: Held(), bytes: []), at: 4)
        }
        #expect(watched != nil)
        table.discard(3)
        #expect(watched == nil)
        #expect(table.count == 1)
        #expect(table[3] == nil)
        #expect(table[4] != nil)
        #expect(table.earliest == nil)
        #expect(table.due(at: Instant(microseconds: 10)).isEmpty)
    }
}
