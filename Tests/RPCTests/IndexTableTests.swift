// The index table stores and ends entries through raw places (an entry
// moved straight into its optional's place when the optional has no tag
// of its own, `discard` destroying one where it lies): what it holds must
// read back exactly, whichever way the entry type's optional is laid out,
// and what an ended entry held must be released once.

import Testing
@testable import RPC

@Suite struct IndexTableTests {
    final class Held {
        let n: Int
        init(_ n: Int) { self.n = n }
    }

    /// Its optional uses an extra tag byte (an Int has no spare bits).
    @Test func entriesWithATaggedOptionalReadBack() {
        #expect(MemoryLayout<Int?>.size != MemoryLayout<Int>.size)
        var table = IndexTable<Int>()
        for i in UInt16(1)...40 { table.insert(Int(i) * 7, at: i) }
        table.discard(3)
        #expect(table.remove(4) == 28)
        #expect(table.count == 38)
        #expect(table[3] == nil && table[4] == nil && table[0] == nil)
        for i in UInt16(5)...40 { #expect(table[i] == Int(i) * 7) }
        table.insert(5, at: 3)
        #expect(table[3] == 5)
    }

    /// Its optional's nil is a bit pattern no entry takes (a reference is never null).
    @Test func entriesWithAnUntaggedOptionalReadBackAndAreReleasedOnce() {
        #expect(MemoryLayout<Held?>.size == MemoryLayout<Held>.size)
        var table = IndexTable<Held>()
        weak var first: Held?
        weak var second: Held?
        do {
            let a = Held(1), b = Held(2)
            first = a
            second = b
            table.insert(a, at: 2)
            table.insert(b, at: 9)
        }
        #expect(table.count == 2)
        #expect(table[2]?.n == 1 && table[9]?.n == 2 && table[5] == nil)
        table.discard(2)
        #expect(first == nil)
        #expect(second != nil)
        #expect(table[2] == nil && table.count == 1)
        _ = table.remove(9)
        #expect(second == nil)
        #expect(table.isEmpty)
    }
}
