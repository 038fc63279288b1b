// The root of the `cap` command line: its subcommands, and the one shape
// they all share.
//
// Each subcommand is a pure computation from parsed arguments to the text it
// prints. Keeping the printing out of the subcommands lets `CapTool.execute`
// run the whole command line in-process, exactly as the binary does, so the
// tests see the same output, messages and exit statuses a user would.

import ArgumentParser

struct Cap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cap",
        abstract: "Ports, FLIP addresses and capabilities, computed offline.",
        discussion: """
            Values are hex, with or without ':' between bytes. Capabilities use \
            the text form PORT/OBJECT(RIGHTS)/CHECK, for example \
            0d:6e:00:b1:2a:fe/123(ff)/01:02:03:04:05:06 (object in decimal, \
            rights in hex). Commands that compute one value print it alone.
            """,
        subcommands: [
            PortsCommand.self, PutPortCommand.self, FlipAddrCommand.self,
            CheckCommand.self, RestrictCommand.self, ShowCommand.self,
        ])
}

/// A subcommand: parsed arguments in, printed lines out.
protocol CapSubcommand: ParsableCommand {
    /// The text to print on standard output, without a final newline.
    func output() throws(CapFailure) -> String
}

extension CapSubcommand {
    // Only used if someone drives the command through ArgumentParser's own
    // `main()`; the binary goes through `CapTool.execute`.
    mutating func run() throws {
        print(try output())
    }
}

/// A well-formed request the tool still cannot carry out. The message says
/// why and what to do instead.
struct CapFailure: Error, Equatable, CustomStringConvertible {
    let description: String
}
