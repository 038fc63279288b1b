// Capabilities for the wire-format tests: some other server's, as
// directory rows hold them, with a known random so that restrictions can
// be computed and checked.

import AmoebaCore

let foreignRandom = Port(hex: "0a0b0c0d0e0f")!

func foreignCap(_ object: UInt32, rights: Rights = .all) -> Capability {
    Capability(port: Port(hex: "c1c2c3c4c5c6")!,
               private: PrivatePart(object: ObjectNumber(object)!, rights: rights, random: foreignRandom))
}

/// A deterministic stream of bytes for garbage inputs.
struct Garbage {
    var state: UInt64

    mutating func bytes(_ n: Int) -> [UInt8] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
