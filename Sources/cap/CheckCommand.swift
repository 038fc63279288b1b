// `cap check`: the check field a server puts in a capability for some
// rights on an object with a given random number.
//
// With all rights the check is the random itself; with fewer it is
// F(random with byte 0 XOR rights), so holding a restricted capability never
// reveals the random or lets its holder forge more rights.

import AmoebaCore
import ArgumentParser

struct CheckCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print the check field for RIGHTS on an object whose random is RANDOM.",
        discussion: """
            RIGHTS ff gives RANDOM itself; any other rights give \
            F(RANDOM with byte 0 XOR RIGHTS).
            """)

    @Argument(help: "The object's random number: 6 bytes of hex.",
              transform: { text throws(ArgumentError) in try HexArgument.port(text, what: "a random number") })
    var random: Port

    @Argument(help: "The rights: one byte of hex, such as ff or 0f.",
              transform: { text throws(ArgumentError) in try HexArgument.rights(text) })
    var rights: Rights

    func output() throws(CapFailure) -> String {
        Restriction.check(random: random, rights: rights).hex
    }
}
