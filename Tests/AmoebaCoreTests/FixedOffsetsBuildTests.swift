// Building a message in a buffer kept from an earlier one must give the
// very bytes a fresh build gives, whatever the old buffer held, and must
// never change a copy someone else still holds (a frame handed out).

import Testing
@testable import AmoebaCore

@Suite struct FixedOffsetsBuildTests {
    func fresh(_ headers: Int, _ data: [UInt8], _ minimum: Int) -> [UInt8] {
        FixedOffsets.bytes(headers: headers, then: data[...], minimum: minimum) { p in
            p.storeBytes(of: 0xAB, as: UInt8.self)
        }
    }

    func built(into a: inout [UInt8], _ headers: Int, _ data: [UInt8], _ minimum: Int) {
        FixedOffsets.build(into: &a, headers: headers, then: data[...], minimum: minimum) { p in
            p.storeBytes(of: 0xAB, as: UInt8.self)
        }
    }

    @Test(arguments: [(16, 0, 0), (16, 5, 0), (16, 5, 60), (112, 0, 60), (4, 200, 0)])
    func aReusedBufferGivesTheFreshBytes(headers: Int, size: Int, minimum: Int) {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let want = fresh(headers, data, minimum)
        // Same size, full of other bytes: reused, every byte rewritten.
        var same = [UInt8](repeating: 0xEE, count: want.count)
        built(into: &same, headers, data, minimum)
        #expect(same == want)
        // Another size, and empty: replaced by a fresh build.
        var other = [UInt8](repeating: 0xEE, count: want.count + 3)
        built(into: &other, headers, data, minimum)
        #expect(other == want)
        var empty: [UInt8] = []
        built(into: &empty, headers, data, minimum)
        #expect(empty == want)
    }

    @Test func aCopyHeldElsewhereNeverChanges() {
        var mine = fresh(16, [1, 2, 3], 0)
        let handedOut = mine
        built(into: &mine, 16, [9, 9, 9], 0)
        #expect(handedOut == fresh(16, [1, 2, 3], 0))
        #expect(mine == fresh(16, [9, 9, 9], 0))
    }
}
