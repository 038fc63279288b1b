import Testing
import AmoebaCore
import FLIP
@testable import RPC

@Suite struct AmpHeaderTests {
    let sample = AmpHeader(kid: FLIPAddress(hex: "0102030405060708")!, port: Port(hex: "a1a2a3a4a5a6")!,
                           type: .request, flags: .retransmission, tid: 0x1122_3344, dest: 0x0506, from: 0x0708)

    @Test func layoutLittleEndian() throws {
        let b = sample.encoded()
        #expect(b.count == 24)
        #expect(Array(b[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(b[8..<14]) == [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6])
        #expect(b[14] == 3)
        #expect(b[15] == 0x02)
        #expect(Array(b[16..<24]) == [0x44, 0x33, 0x22, 0x11, 0x06, 0x05, 0x08, 0x07])
        #expect(try AmpHeader.decode(b) == sample)
    }

    @Test func bigEndianSendersAreUnderstood() throws {
        let b = sample.encoded(order: .big)
        #expect(b[15] == 0x03)
        #expect(Array(b[16..<24]) == [0x11, 0x22, 0x33, 0x44, 0x05, 0x06, 0x07, 0x08])
        var expected = sample
        expected.flags.insert(.bigEndian)
        #expect(try AmpHeader.decode(b) == expected)
    }

    @Test func badInputIsRefused() {
        let b = sample.encoded()
        #expect(throws: AmpDecodeError.truncated) { try AmpHeader.decode(Array(b.prefix(23))) }
        var bad = b
        bad[14] = 12
        #expect(throws: AmpDecodeError.unknownType(12)) { try AmpHeader.decode(bad) }
        bad[14] = 0
        #expect(throws: AmpDecodeError.unknownType(0)) { try AmpHeader.decode(bad) }
    }

    /// The received header's type is read by its place in the declaration
    /// (`AmpType.fromWire`): it must name the same type as the number, for
    /// every byte a frame can carry.
    @Test func wireTypeByteAgreesWithTheRawValues() {
        for byte in UInt8.min...UInt8.max {
            #expect(AmpType.fromWire(byte) == AmpType(rawValue: byte), "byte \(byte)")
        }
    }
}
