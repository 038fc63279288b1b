// `cap show`: a capability taken apart, one field a line.
//
// The rights byte is printed in hex and as eight bits, most significant
// first, because servers define their rights bit by bit and a reader wants
// to see which bits are set without converting in their head.

import AmoebaCore
import ArgumentParser

struct ShowCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print each field of a capability, one per line.",
        discussion: """
            Lines are 'put-port HEX', 'object DECIMAL', 'rights HEX BITS' \
            (bits 7..0) and 'check HEX'.
            """)

    @Argument(help: "The capability: PORT/OBJECT(RIGHTS)/CHECK.",
              transform: { text throws(ArgumentError) in try HexArgument.capability(text) })
    var capability: Capability

    func output() throws(CapFailure) -> String {
        Self.fields(of: capability)
    }

    static func fields(of cap: Capability) -> String {
        let rights = cap.private.rights.rawValue
        var bits = ""
        for bit in (0..<8).reversed() {
            bits += rights >> UInt8(bit) & 1 == 1 ? "1" : "0"
        }
        return """
            put-port \(cap.port.hex)
            object \(cap.private.object.value)
            rights \(Hex.encode([rights])) \(bits)
            check \(cap.private.check.hex)
            """
    }
}
