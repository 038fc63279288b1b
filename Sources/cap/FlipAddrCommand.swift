// `cap flipaddr`: the public FLIP address an endpoint with a given private
// address listens on.
//
// FLIP hides where an endpoint lives behind a one-way function of its
// private address, as ports hide servers; this computes that function.

import ArgumentParser
import FLIP

struct FlipAddrCommand: CapSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "flipaddr",
        abstract: "Print the public FLIP address of an 8-byte private address.",
        discussion: "Example: cap flipaddr 0102030405060700  prints  d70d52d1b9d01900")

    @Argument(help: "The private FLIP address: 8 bytes of hex.",
              transform: { text throws(ArgumentError) in
                  let bytes = try HexArgument.bytes(text, count: FLIPAddress.size, what: "a FLIP address")
                  return FLIPAddress(bytes: bytes)!  // the length was checked just above
              })
    var privateAddress: FLIPAddress

    func output() throws(CapFailure) -> String {
        privateAddress.publicAddress.hex
    }
}
