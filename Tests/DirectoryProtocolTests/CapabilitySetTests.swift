import Testing
import AmoebaCore
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

/// buf_gen_capset: a LOOKUP answer's set, cut down to what the walk allowed.
@Suite struct RestrictedCapabilitySetTests {
    func write(_ set: CapabilitySet, mask: UInt8,
               _ restrict: (Capability, UInt8) -> Capability?) throws -> (ErrorCode, [UInt8]) {
        var w = BufferWriter()
        let status = try set.writeRestricted(mask: mask, into: &w, restrict: restrict)
        return (status, w.bytes)
    }

    let local: (Capability, UInt8) -> Capability? = { cap, mask in
        try? Restriction.restrict(cap, to: Rights(rawValue: cap.private.rights.rawValue & mask))
    }

    @Test func eachCurrentSuiteIsRestricted() throws {
        let set = CapabilitySet(initial: 2, suites: [.init(capability: foreignCap(1)), .init(capability: foreignCap(2))])
        let (status, bytes) = try write(set, mask: 0x03, local)
        #expect(status == .ok)
        var r = BufferReader(bytes)
        let back = try CapabilitySet.decode(from: &r)
        #expect(back.initial == 2)
        #expect(back.current == [foreignCap(1, rights: Rights(rawValue: 3)), foreignCap(2, rights: Rights(rawValue: 3))])
        // Unrestricted, the bytes are the set's own.
        #expect(try write(set, mask: 0xFF, local).1 == set.bytes)
    }

    @Test func suitesThatCannotBeRestrictedGoOutAsTheirPort() throws {
        let weak = foreignCap(1, rights: Rights(rawValue: 0x0F))
        let set = CapabilitySet(initial: 2, suites: [.init(capability: weak), .init(capability: foreignCap(2), isCurrent: false)])
        let (status, bytes) = try write(set, mask: 0x01, local)
        #expect(status == .directoryUnreachable)
        let bare = Capability(port: weak.port, private: Capability.null.private)
        #expect(bytes == [2, 0, 2, 0] + bare.bytes + [1, 0] + bare.bytes + [0, 0])
        // An empty set is no failure.
        #expect(try write(.empty, mask: 0, local) == (.ok, [0, 0, 0, 0]))
    }

    @Test func aFullWriterThrows() {
        var w = BufferWriter(limit: 10)
        #expect(throws: MarshalError.self) {
            try CapabilitySet(foreignCap(1)).writeRestricted(mask: 0xFF, into: &w) { c, _ in c }
        }
    }
}
