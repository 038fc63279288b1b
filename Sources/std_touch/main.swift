// std_touch: Tell each object it is still in use (STD_TOUCH).
// Objects are named by capability text, capability file, or a name the
// local host published (sys, tod, random, host). Exit codes: see StdTools.

import ArgumentParser
import StdTools

@main
struct StdTouch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std_touch",
        abstract: "Tell each object it is still in use (STD_TOUCH).",
        discussion: "Exit status: 0 ok, 1 an object refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "Capabilities: text (PORT/OBJ(RIGHTS)/CHECK), files, or published names.")
    var objects: [String]

    func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("name at least one object") }
    }

    func run() throws {
        ToolRunner.forEach("std_touch", objects, options: daemon) { client, arg, cap throws(ToolError) in
            try client.touch(cap)
        }
    }
}
