// Reading the tool's arguments: hex bytes of a fixed length, one rights
// byte, and capabilities in their text form.
//
// Every argument the tool takes is typed by a person or pasted by a script,
// so the one thing a parse failure must do is say precisely what was wrong:
// a stray character, an odd digit, or the right hex at the wrong length.
// These parsers are handed to swift-argument-parser as `transform`s, which
// prints their error's `description` after the value it rejected, and exits
// with a usage error.

import AmoebaCore

/// Why an argument was refused. The description is the message a user sees.
struct ArgumentError: Error, Equatable, CustomStringConvertible {
    let description: String
}

enum HexArgument {
    /// Exactly `count` bytes of hex, with or without `:` between the bytes.
    /// `what` names the value in the error message ("a get-port").
    static func bytes(_ text: String, count: Int, what: String) throws(ArgumentError) -> [UInt8] {
        let expected = "\(what) is \(count) bytes: \(2 * count) hex digits, optionally with ':' between bytes"
        guard let bytes = Hex.decode(text), !text.isEmpty else {
            throw ArgumentError(description: "not hex (\(expected))")
        }
        guard bytes.count == count else {
            let unit = bytes.count == 1 ? "byte" : "bytes"
            throw ArgumentError(description: "\(bytes.count) \(unit), but \(expected)")
        }
        return bytes
    }

    /// A 6-byte port (or check, or random number).
    static func port(_ text: String, what: String) throws(ArgumentError) -> Port {
        let b = try bytes(text, count: Port.size, what: what)
        return Port(bytes: b)!  // the length was checked just above
    }

    /// A rights mask: one byte as one or two hex digits (`ff`, `0f`, `f`).
    static func rights(_ text: String) throws(ArgumentError) -> Rights {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : text[...]
        // UInt8(_:radix:) alone would also take a sign, as in "+f".
        guard (1...2).contains(digits.count), digits.allSatisfy(\.isHexDigit),
              let value = UInt8(digits, radix: 16) else {
            throw ArgumentError(description: "rights are one byte of hex, such as ff or 0f")
        }
        return Rights(rawValue: value)
    }

    /// A capability in AmoebaCore's text form, PORT/OBJECT(RIGHTS)/CHECK.
    static func capability(_ text: String) throws(ArgumentError) -> Capability {
        do throws(CapabilityTextError) {
            return try Capability(text: text)
        } catch {
            switch error {
            case .malformed(let why):
                throw ArgumentError(description:
                    "\(why); a capability reads like 0d:6e:00:b1:2a:fe/123(ff)/01:02:03:04:05:06")
            }
        }
    }
}
