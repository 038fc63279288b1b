// `cap restrict`: an owner capability cut down to fewer rights, without
// asking its server.
//
// Only a capability with all rights carries the object's random as its
// check, and only from the random can the check for fewer rights be made.
// A capability that already lacks some rights must go to its server
// (std_restrict), which knows the random; the tool says so rather than
// print a capability the server would refuse.

import AmoebaCore
import ArgumentParser

struct RestrictCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "restrict",
        abstract: "Restrict an owner capability (all rights) to the rights in MASK.",
        discussion: """
            Prints the restricted capability. Works only on a capability with \
            all rights (ff); for any other, ask its server (std_restrict).
            """)

    @Argument(help: "The capability: PORT/OBJECT(RIGHTS)/CHECK.",
              transform: { text throws(ArgumentError) in try HexArgument.capability(text) })
    var capability: Capability

    @Argument(help: "The rights to keep: one byte of hex, such as 0f.",
              transform: { text throws(ArgumentError) in try HexArgument.rights(text) })
    var mask: Rights

    func output() throws(CapFailure) -> String {
        do throws(Restriction.Failure) {
            return try Restriction.restrict(capability, to: mask).text
        } catch {
            // .notOwnerCapability is the only way restriction fails.
            let held = Hex.encode([capability.private.rights.rawValue])
            throw CapFailure(description: """
                cannot restrict locally: the capability has rights \(held), not all \
                rights (ff), so its check is not the object's random; the server \
                must be asked to restrict it (std_restrict)
                """)
        }
    }
}
