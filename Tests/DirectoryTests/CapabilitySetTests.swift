import Testing
import AmoebaCore
import Directory
import DirectoryProtocol

@Suite struct CapabilitySetTests {
    /// buf_put_capset: int16 initial, int16 final, then per suite the 16
    /// capability bytes and an int16 current flag, little-endian.
    @Test func wireLayout() throws {
        let cap = foreignCap(0x030201)
        let set = CapabilitySet(initial: 1, suites: [.init(capability: cap), .init(capability: foreignCap(5), isCurrent: false)])
        let b = set.bytes
        #expect(b.count == 4 + 2 * 18)
        #expect(Array(b[0..<4]) == [1, 0, 2, 0])
        #expect(Array(b[4..<20]) == cap.bytes)
        #expect(Array(b[10..<13]) == [1, 2, 3])
        #expect(Array(b[20..<22]) == [1, 0])
        #expect(Array(b[38..<40]) == [0, 0])
        var r = BufferReader(b)
        #expect(try CapabilitySet.decode(from: &r) == set)
        #expect(set.current == [cap])
    }

    @Test func refusesMoreThanEightSuites() {
        var r = BufferReader([1, 0, 9, 0] + [UInt8](repeating: 0, count: 9 * 18))
        #expect(throws: MarshalError.invalidValue) { try CapabilitySet.decode(from: &r) }
        var n = BufferReader([0, 0, 0xFF, 0xFF])
        #expect(throws: MarshalError.invalidValue) { try CapabilitySet.decode(from: &n) }
    }

    @Test func truncatedSetThrows() {
        let b = CapabilitySet(foreignCap(1)).bytes
        for cut in 0..<b.count {
            var r = BufferReader(Array(b[0..<cut]))
            #expect(throws: MarshalError.self) { try CapabilitySet.decode(from: &r) }
        }
    }
}
