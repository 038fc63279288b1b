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
        discussion: ToolRunner.exitStatus)

    @OptionGroup var daemon: DaemonOptions

    @OptionGroup var arguments: ObjectArguments

    func run() throws {
        ToolRunner.forEach("std_touch", arguments.objects, options: daemon) { client, arg, cap throws(ToolError) in
            try client.touch(cap)
        }
    }
}
