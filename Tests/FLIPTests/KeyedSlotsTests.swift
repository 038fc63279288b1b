import Testing
@testable import FLIP

/// KeyedSlots keeps each key's record where it was put, and a removal
/// moves the last record into the hole: these pin that a key still finds
/// its own record after others come and go, including the key looked up
/// last, whose slot the table remembers.
@Suite struct KeyedSlotsTests {
    @Test func keysFindTheirRecordsAfterRemovals() {
        var t = KeyedSlots<Int, [Int]>()
        for k in 0..<5 { #expect(t.insert([k, k], for: k) == k) }
        #expect(t.slot(of: 4) == 4)  // now remembered
        t.remove(at: t.slot(of: 1)!)
        // 4 moved into 1's slot; the remembered slot must not be used.
        #expect(t.slot(of: 1) == nil)
        #expect(t.slot(of: 4).map { t.values[$0] } == [4, 4])
        t.values[t.slot(of: 4)!].append(9)
        #expect(t[4] == [4, 4, 9])
        #expect(t.count == 4)
        t.removeAll { k, _ in k % 2 == 0 }
        #expect(t.keys.sorted() == [3])
        #expect(t[3] == [3, 3])
        #expect(t.slot(of: 0) == nil && t.slot(of: 4) == nil)
        #expect(t.insert([7], for: 7) == 1)
        #expect(t.slot(of: 3).map { t.values[$0] } == [3, 3])
    }
}
