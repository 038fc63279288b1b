// The one readable text form of a capability, after Amoeba's `ar_cap`:
//
//     0d:6e:00:b1:2a:fe/123(ff)/01:02:03:04:05:06
//     put-port          object(rights)  check
//
// Object number in decimal, rights in hex. We print every byte with two
// digits; the parser also takes Amoeba's unpadded bytes and plain 12-digit
// hex for port and check, so text from either side round-trips.

public enum CapabilityTextError: Error, Equatable, Sendable {
    case malformed(String)
}

extension Capability {
    public var text: String {
        let p = `private`
        return Hex.encode(port.bytes, separator: ":") + "/" + String(p.object.value)
            + "(" + Hex.encode([p.rights.rawValue]) + ")/" + Hex.encode(p.check.bytes, separator: ":")
    }

    public init(text: String) throws(CapabilityTextError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("expected PORT/OBJECT(RIGHTS)/CHECK")
        }
        guard let port = Port(hex: String(parts[0])) else {
            throw .malformed("port is not 6 hex bytes")
        }
        guard let check = Port(hex: String(parts[2])) else {
            throw .malformed("check is not 6 hex bytes")
        }
        let middle = Array(parts[1].utf8)
        guard let open = middle.firstIndex(of: UInt8(ascii: "(")),
              middle.last == UInt8(ascii: ")"), open > 0 else {
            throw .malformed("expected OBJECT(RIGHTS) between the slashes")
        }
        var object: UInt32 = 0
        for c in middle[..<open] {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else {
                throw .malformed("object number is not decimal")
            }
            object = object &* 10 &+ UInt32(c - UInt8(ascii: "0"))
            guard object <= ObjectNumber.max else {
                throw .malformed("object number exceeds 24 bits")
            }
        }
        let rightsText = middle[(open + 1)..<(middle.count - 1)]
        guard rightsText.count >= 1, rightsText.count <= 2 else {
            throw .malformed("rights are not one hex byte")
        }
        var rights: UInt8 = 0
        for c in rightsText {
            guard let n = Hex.nibble(c) else { throw .malformed("rights are not one hex byte") }
            rights = rights << 4 | n
        }
        self.init(port: port, private: PrivatePart(
            object: ObjectNumber(object)!, rights: Rights(rawValue: rights), check: check))
    }
}
