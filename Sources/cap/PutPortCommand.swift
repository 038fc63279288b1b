// `cap putport`: the put-port of a get-port, F(get-port).
//
// Useful when a server's get-port is known (from its configuration) and the
// put-port to hand to clients is wanted, or to check F against Amoeba's.

import AmoebaCore
import ArgumentParser

struct PutPortCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "putport",
        abstract: "Print the put-port F(GETPORT) of a get-port.",
        discussion: "Example: cap putport 010203040506  prints  0d6e00b12afe")

    @Argument(help: "The get-port: 6 bytes of hex.",
              transform: { text throws(ArgumentError) in try HexArgument.port(text, what: "a get-port") })
    var getPort: Port

    func output() throws(CapFailure) -> String {
        getPort.putPort.hex
    }
}
