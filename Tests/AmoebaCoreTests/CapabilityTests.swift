import Testing
@testable import AmoebaCore

@Suite struct CapabilityTests {
    let random = Port(hex: "a1b2c3d4e5f6")!
    let object = ObjectNumber(0x123456)!

    var owner: Capability {
        Capability(port: Port(hex: "0d6e00b12afe")!,
                   private: PrivatePart(object: object, rights: .all, random: random))
    }

    @Test func ownerCheckIsTheRandom() {
        #expect(owner.private.check == random)
        #expect(owner.private.isValid(forRandom: random))
    }

    @Test func restrictedCheckIsFOfRandomXorRights() {
        let r = try! Restriction.restrict(owner, to: Rights(rawValue: 0x05))
        #expect(r.private.rights.rawValue == 0x05)
        let expected = Port(hex: "a4b2c3d4e5f6")!.putPort  // a1 ^ 05 = a4
        #expect(r.private.check == expected)
        #expect(r.private.isValid(forRandom: random))
    }

    @Test func restrictionCannotBeUndone() throws {
        let r = try Restriction.restrict(owner, to: Rights(rawValue: 0x01))
        // Restricting a restricted capability locally is refused...
        #expect(throws: Restriction.Failure.notOwnerCapability) {
            try Restriction.restrict(r, to: .all)
        }
        // ...and claiming more rights with the same check does not validate.
        for more in [UInt8(0x03), 0x81, 0xFF] {
            var forged = r
            forged.private.rights = Rights(rawValue: more)
            #expect(!forged.private.isValid(forRandom: random))
        }
    }

    @Test func alteredFieldsFailValidation() {
        var bad = owner
        bad.private.check = bad.private.check.replacing(byte: 3, with: bad.private.check[3] ^ 0x40)
        #expect(!bad.private.isValid(forRandom: random))
    }

    @Test func wireFormIs16BytesObjectLittleEndian() {
        let b = owner.bytes
        #expect(b.count == 16)
        #expect(Array(b[6..<9]) == [0x56, 0x34, 0x12])
        #expect(b[9] == 0xFF)
        #expect(Capability(bytes: b) == owner)
        #expect(Capability(bytes: Array(b.dropLast())) == nil)
    }

    @Test func textRoundTrips() throws {
        let text = owner.text
        #expect(text == "0d:6e:00:b1:2a:fe/1193046(ff)/a1:b2:c3:d4:e5:f6")
        #expect(try Capability(text: text) == owner)
        // Amoeba's ar_cap prints bytes unpadded and upper case.
        #expect(try Capability(text: "D:6E:0:B1:2A:FE/1193046(FF)/A1:B2:C3:D4:E5:F6") == owner)
    }

    @Test(arguments: [
        "", "x", "0d:6e:00:b1:2a:fe/1(ff)", "0d:6e:00:b1:2a/1(ff)/a1:b2:c3:d4:e5:f6",
        "0d:6e:00:b1:2a:fe/16777216(ff)/a1:b2:c3:d4:e5:f6", "0d:6e:00:b1:2a:fe/1(fff)/a1:b2:c3:d4:e5:f6",
        "0d:6e:00:b1:2a:fe/(ff)/a1:b2:c3:d4:e5:f6", "0d:6e:00:b1:2a:fe/1ff/a1:b2:c3:d4:e5:f6",
        "0d:6e:00:b1:2a:fe/-1(ff)/a1:b2:c3:d4:e5:f6", "0d:6e:00:b1:2a:zz/1(ff)/a1:b2:c3:d4:e5:f6",
        "0d:6e:00:b1:2a:fe/1()/a1:b2:c3:d4:e5:f6", "0d:6e:00:b1:2a:fe/99999999999999999999(ff)/a1:b2:c3:d4:e5:f6",
    ])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: CapabilityTextError.self) { try Capability(text: text) }
    }
}
