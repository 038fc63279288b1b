// Running a `cap` command line from start to end without leaving the
// process: parse, compute, and decide what goes to stdout, to stderr, and
// which status to exit with.
//
// The binary's `main.swift` is this plus writing and exiting. Tests call it
// directly, so every path a user can hit (help, usage errors, refusals) is
// checked without spawning a process.

import ArgumentParser

enum CapTool {
    /// What one run of the tool produced.
    struct Outcome: Equatable {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Exit status when a well-formed request cannot be carried out.
    static let failureStatus: Int32 = 1
    /// Exit status for bad usage (sysexits' EX_USAGE, as ArgumentParser uses).
    static let usageStatus: Int32 = 64

    /// Runs `cap` with `arguments` (not including the program name).
    static func execute(_ arguments: [String]) -> Outcome {
        do {
            var command = try Cap.parseAsRoot(arguments)
            if let subcommand = command as? CapSubcommand {
                do throws(CapFailure) {
                    return Outcome(status: 0, standardOutput: try subcommand.output() + "\n",
                                   standardError: "")
                } catch {
                    return Outcome(status: failureStatus, standardOutput: "",
                                   standardError: "cap: \(error.description)\n")
                }
            }
            if command is Cap {
                // `cap` alone did no work: show what it can do, and fail.
                return Outcome(status: usageStatus, standardOutput: "",
                               standardError: Cap.helpMessage() + "\n")
            }
            // ArgumentParser's own commands (`cap help ...`, `--help`) end by
            // throwing the help text as a "clean exit".
            try command.run()
            return Outcome(status: 0, standardOutput: "", standardError: "")
        } catch {
            let status = Cap.exitCode(for: error).rawValue
            let message = Cap.fullMessage(for: error) + "\n"
            return status == 0
                ? Outcome(status: 0, standardOutput: message, standardError: "")
                : Outcome(status: status, standardOutput: "", standardError: message)
        }
    }
}
