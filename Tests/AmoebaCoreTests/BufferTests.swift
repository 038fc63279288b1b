import Testing
@testable import AmoebaCore

@Suite struct BufferTests {
    @Test func integersAreLittleEndianByDefault() throws {
        var w = BufferWriter()
        try w.write(UInt16(0x1234))
        try w.write(UInt32(0xA1B2_C3D4))
        try w.write(Int16(-2))
        try w.write(UInt32(0x0102_0304), .big)
        #expect(w.bytes == [0x34, 0x12, 0xD4, 0xC3, 0xB2, 0xA1, 0xFE, 0xFF, 1, 2, 3, 4])
        var r = BufferReader(w.bytes)
        #expect(try r.readUInt16() == 0x1234)
        #expect(try r.readUInt32() == 0xA1B2_C3D4)
        #expect(try r.readInt16() == -2)
        #expect(try r.readUInt32(.big) == 0x0102_0304)
        #expect(r.isAtEnd)
    }

    @Test func readsPastTheEndThrow() {
        var r = BufferReader([1, 2, 3])
        #expect(throws: MarshalError.truncated(needed: 4, available: 3)) { try r.readUInt32() }
        #expect(throws: MarshalError.self) { try r.readBytes(-1) }
        #expect(throws: MarshalError.self) { try r.readCapability() }
        #expect(r.offset == 0)
    }

    @Test func stringsAreNulTerminated() throws {
        var w = BufferWriter()
        try w.write(string: "amoeba")
        try w.write(string: "")
        #expect(w.bytes == Array("amoeba".utf8) + [0, 0])
        var r = BufferReader(w.bytes)
        #expect(try r.readString() == "amoeba")
        #expect(try r.readString() == "")
        var bad = BufferReader(Array("no end".utf8))
        #expect(throws: MarshalError.unterminatedString) { try bad.readString() }
    }

    @Test func writerRespectsItsLimit() throws {
        var w = BufferWriter(limit: 5)
        try w.write(UInt32(1))
        #expect(throws: MarshalError.overflow(needed: 2, available: 1)) { try w.write(UInt16(1)) }
        #expect(throws: MarshalError.self) { try w.write(string: "a") }
        try w.write(UInt8(9))
        #expect(w.count == 5)
    }

    @Test func clampedReaderWindow() throws {
        var r = BufferReader([1, 2, 3, 4], from: 1, to: 99)
        #expect(r.remaining == 3)
        #expect(try r.readUInt8() == 2)
        let weird = BufferReader([1, 2], from: -5, to: -1)
        #expect(weird.remaining == 0)
    }
}
