import Testing
@testable import AmoebaCore

@Suite struct HeaderTests {
    @Test func layoutIs32BytesInDesignOrder() throws {
        let h = Header(port: Port(hex: "010203040506")!, signature: Port(hex: "111213141516")!,
                       private: PrivatePart(object: ObjectNumber(0x010203)!, rights: Rights(rawValue: 0x7f),
                                            check: Port(hex: "212223242526")!),
                       command: StandardCommand.info, offset: -2, size: 0x1234, extra: 0xBEEF)
        let b = h.encoded()
        #expect(b.count == 32)
        #expect(Array(b[0..<6]) == [1, 2, 3, 4, 5, 6])
        #expect(Array(b[12..<15]) == [3, 2, 1])
        #expect(b[15] == 0x7f)
        #expect(Array(b[22..<24]) == [0xEC, 0x03])  // 1004 little-endian
        #expect(Array(b[24..<28]) == [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(Array(b[28..<32]) == [0x34, 0x12, 0xEF, 0xBE])
        #expect(try Header.decode(b) == h)
        let big = h.encoded(order: .big)
        #expect(Array(big[22..<24]) == [0x03, 0xEC])
        #expect(try Header.decode(big, order: .big) == h)
        #expect(throws: MarshalError.self) { try Header.decode(Array(b.prefix(31))) }
    }

    @Test func statusIsSigned() {
        var h = Header()
        h.status = .capabilityBad
        #expect(h.command == UInt16(bitPattern: -1000))
        #expect(h.status == .capabilityBad)
        #expect(h.status.name == "STD_CAPBAD")
    }

    @Test func everyErrorHasItsAmoebaName() {
        let expected: [(Int16, String)] = [
            (0, "STD_OK"), (-1, "RPC_FAILURE"), (-2, "RPC_NOTFOUND"), (-3, "RPC_BADADDRESS"),
            (-4, "RPC_ABORTED"), (-5, "RPC_TRYAGAIN"), (-6, "RPC_COMBAD"), (-7, "RPC_REMOTERPC"),
            (-8, "RPC_BADPORT"), (-9, "RPC_UNSAFE"), (-1000, "STD_CAPBAD"), (-1001, "STD_COMBAD"),
            (-1002, "STD_ARGBAD"), (-1003, "STD_NOTNOW"), (-1004, "STD_NOSPACE"), (-1005, "STD_DENIED"),
            (-1006, "STD_NOMEM"), (-1007, "STD_EXISTS"), (-1008, "STD_NOTFOUND"), (-1009, "STD_SYSERR"),
            (-1010, "STD_INTR"), (-1011, "STD_OVERFLOW"), (-1012, "STD_WRITEPROT"), (-1013, "STD_NOMEDIUM"),
        ]
        for (code, name) in expected {
            #expect(ErrorCode(rawValue: code).name == name)
            #expect(ErrorCode(name: name)?.rawValue == code)
        }
        #expect(ErrorCode(rawValue: -4242).name == "error -4242")
        #expect(StandardCommand.name(of: 1004) == "STD_INFO")
        #expect(StandardCommand.name(of: 999) == nil)
    }
}
