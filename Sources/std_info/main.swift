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
        discussion: ToolRunner.exitStatus)

    @OptionGroup var daemon: DaemonOptions

    @OptionGroup var arguments: ObjectArguments

    @Flag(help: "One JSON object per line: {\"object\": ARG, \"info\": ...} or {\"object\": ARG, \"error\": NAME, \"message\": ...}.")
    var json = false

    func run() throws {
        ToolRunner.forEach("std_info", arguments.objects, options: daemon, failed: ObjectAnswer.failureLines(json: json)) { client, arg, cap throws(ToolError) in
            let s = try client.info(cap)
            if json {
                print(JSONOutput.line(ObjectAnswer(object: arg, info: s)))
            } else {
                print(arguments.objects.count > 1 ? "\(arg): \(s)" : s)
            }
        }
    }
}
