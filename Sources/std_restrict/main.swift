// std_restrict: prints a capability with fewer rights.
// An owner capability (all rights) is restricted locally with the one-way
// function, as Amoeba does; any other is sent to its server (STD_RESTRICT,
// mask in the header's offset). Exit codes: see StdTools.

import AmoebaCore
import ArgumentParser
import Foundation
import StdTools

@main
struct StdRestrict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std_restrict",
        abstract: "Print a capability restricted to the rights in MASK.",
        discussion: "Exit status: 0 ok, 1 the server refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions

    @Flag(help: "Ask the server even for an owner capability.")
    var server = false

    @Option(name: .shortAndLong, help: "Also write the new capability to this file.")
    var output: String?

    @Argument(help: "The capability: text, file, or published name.")
    var object: String

    @Argument(help: "The rights to keep, as a hex byte (e.g. 0f).")
    var mask: String

    func validate() throws {
        guard UInt8(mask, radix: 16) != nil else { throw ValidationError("mask \(mask) is not a hex byte (00 to ff)") }
    }

    func run() throws {
        let m = Rights(rawValue: UInt8(mask, radix: 16)!)
        let out = output
        ToolRunner.forEach("std_restrict", [object], options: daemon) { client, _, cap throws(ToolError) in
            let r = try client.restrict(cap, to: m, askServer: server)
            print(r.text)
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Data((r.text + "\n").utf8)) else {
                    throw .usage("\(out): cannot write")
                }
            }
        }
    }
}
