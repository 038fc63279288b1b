// Composite reads and writes either complete or leave the cursor untouched.
//
// The core_buffer fuzzer found that a header written into a writer without
// room for all 32 bytes left its first fields behind, and that a private
// part or capability read from too short a buffer consumed its first bytes
// before failing. A caller that catches the error and carries on (tries a
// shorter form, reports and skips) would then work from a shifted position.

import Testing
@testable import AmoebaCore

@Suite struct AllOrNothingTests {
    @Test func headerEncodeWithoutRoomWritesNothing() {
        for room in [0, 5, 6, 21, 31] {
            var w = BufferWriter(limit: room)
            #expect(throws: MarshalError.overflow(needed: 32, available: room)) {
                try Header(command: 1004).encode(into: &w)
            }
            #expect(w.count == 0, "room \(room)")
        }
        var w = BufferWriter(limit: 40)
        try? w.write(bytes: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(throws: MarshalError.overflow(needed: 32, available: 31)) {
            try Header().encode(into: &w, order: .big)
        }
        #expect(w.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test func headerEncodeWithExactRoomFits() throws {
        var w = BufferWriter(limit: 32)
        try Header(command: 7).encode(into: &w)
        #expect(w.count == 32)
    }

    @Test func shortPrivatePartReadConsumesNothing() {
        for n in 0..<PrivatePart.size {
            var r = BufferReader(Array(repeating: 0xAB, count: n))
            #expect(throws: MarshalError.truncated(needed: 10, available: n)) { try r.readPrivate() }
            #expect(r.offset == 0, "length \(n)")
        }
    }

    @Test func shortCapabilityReadConsumesNothing() {
        for n in 0..<Capability.size {
            var r = BufferReader(Array(repeating: 0xAB, count: n))
            #expect(throws: MarshalError.truncated(needed: 16, available: n)) { try r.readCapability() }
            #expect(r.offset == 0, "length \(n)")
        }
    }
}
