// std_info: Print the one-line description of each object (STD_INFO).
// Objects are named by capability text, capability file, or a name the
// local host published (sys, tod, random, host). Exit codes: see StdTools.

import ArgumentParser
import StdTools

@main
struct StdInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std_info",
        abstract: "Print the one-line description of each object (STD_INFO).",
        discussion: "Exit status: 0 ok, 1 an object refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "Capabilities: text (PORT/OBJ(RIGHTS)/CHECK), files, or published names.")
    var objects: [String]

    func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("name at least one object") }
    }

    func run() throws {
        ToolRunner.forEach("std_info", objects, options: daemon) { client, arg, cap throws(ToolError) in
            let s = try client.info(cap); print(objects.count > 1 ? "\(arg): \(s)" : s)
        }
    }
}
