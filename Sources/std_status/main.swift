// std_status: Print the status report of each object (STD_STATUS).
// Objects are named by capability text, capability file, or a name the
// local host published (sys, tod, random, host). Exit codes: see StdTools.

import ArgumentParser
import StdTools

@main
struct StdStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std_status",
        abstract: "Print the status report of each object (STD_STATUS).",
        discussion: "Exit status: 0 ok, 1 an object refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "Capabilities: text (PORT/OBJ(RIGHTS)/CHECK), files, or published names.")
    var objects: [String]

    func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("name at least one object") }
    }

    func run() throws {
        ToolRunner.forEach("std_status", objects, options: daemon) { client, arg, cap throws(ToolError) in
            let s = try client.status(cap); print(s, terminator: s.hasSuffix("\n") ? "" : "\n")
        }
    }
}
