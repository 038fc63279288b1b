// A port's little-endian integer view agrees with its bytes both ways.
import Testing
@testable import AmoebaCore

@Suite struct PortBitsTests {
    @Test func bitsAreTheBytesLittleEndian() {
        let p = Port(bytes: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06])!
        #expect(p.littleEndianBits == 0x0605_0403_0201)
        #expect(Port(littleEndianBits: 0x0605_0403_0201) == p)
    }

    @Test func bitsAboveFortyEightAreIgnored() {
        let p = Port(littleEndianBits: 0xFFFF_0605_0403_0201)
        #expect(p.bytes == [0x01, 0x02, 0x03, 0x04, 0x05, 0x06])
        #expect(p.littleEndianBits == 0x0605_0403_0201)
    }
}
