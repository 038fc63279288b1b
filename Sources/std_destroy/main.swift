// std_destroy: Destroy each object (STD_DESTROY).
// Objects are named by capability text, capability file, or a name the
// local host published (sys, tod, random, host). Exit codes: see StdTools.

import ArgumentParser
import StdTools

@main
struct StdDestroy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std_destroy",
        abstract: "Destroy each object (STD_DESTROY).",
        discussion: ToolRunner.exitStatus)

    @OptionGroup var daemon: DaemonOptions

    @OptionGroup var arguments: ObjectArguments

    func run() throws {
        ToolRunner.forEach("std_destroy", arguments.objects, options: daemon) { client, arg, cap throws(ToolError) in
            try client.destroy(cap)
        }
    }
}
