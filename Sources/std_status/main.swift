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
        discussion: ToolRunner.exitStatus)

    @OptionGroup var daemon: DaemonOptions

    @OptionGroup var arguments: ObjectArguments

    @Flag(help: "One JSON object per line: {\"object\": ARG, \"status\": REPORT} or {\"object\": ARG, \"error\": NAME, \"message\": ...}.")
    var json = false

    func run() throws {
        ToolRunner.forEach("std_status", arguments.objects, options: daemon, failed: ObjectAnswer.failureLines(json: json)) { client, arg, cap throws(ToolError) in
            let s = try client.status(cap)
            if json {
                print(JSONOutput.line(ObjectAnswer(object: arg, status: s)))
            } else {
                print(s, terminator: s.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}
