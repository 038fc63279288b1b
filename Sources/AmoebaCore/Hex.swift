// Hex text for bytes: the one textual form the tools and tests use for
// ports, addresses and checks. Accepts `0d6e00b12afe` and `0d:6e:00:b1:2a:fe`
// (and Amoeba's unpadded `d:6e:0:b1:2a:fe` when colons separate bytes).

public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: [UInt8], separator: String = "") -> String {
        var out = ""
        for (i, b) in bytes.enumerated() {
            if i > 0 { out += separator }
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(b >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(b & 0xF)]))
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Decodes hex text; nil on any character that is not a hex digit or a
    /// byte separator, or on a group of more than two digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        if chars.contains(UInt8(ascii: ":")) {
            var out = [UInt8]()
            for group in chars.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
                guard group.count == 1 || group.count == 2 else { return nil }
                var v: UInt8 = 0
                for c in group {
                    guard let n = nibble(c) else { return nil }
                    v = v << 4 | n
                }
                out.append(v)
            }
            return out
        }
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
