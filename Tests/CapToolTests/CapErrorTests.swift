// Bad input to `cap`: every mistake ends in a non-zero status and a message
// on standard error that names what was wrong, never in a crash, a silent
// success, or output a script might take for a value.

import Testing
@testable import cap

/// Expects a usage failure whose message contains every one of `phrases`.
func expectUsageError(_ arguments: [String], _ phrases: [String],
                      sourceLocation: SourceLocation = #_sourceLocation) {
    let o = CapTool.execute(arguments)
    #expect(o.status == CapTool.usageStatus, "status for \(arguments)", sourceLocation: sourceLocation)
    #expect(o.standardOutput.isEmpty, "stdout for \(arguments)", sourceLocation: sourceLocation)
    for phrase in phrases {
        #expect(o.standardError.contains(phrase),
                "stderr for \(arguments) lacks \"\(phrase)\": \(o.standardError)",
                sourceLocation: sourceLocation)
    }
}

@Suite struct CapErrorTests {
    @Test func portOfTheWrongLength() {
        expectUsageError(["putport", "0102030405"], ["5 bytes", "6 bytes"])
        expectUsageError(["putport", "01020304050607"], ["7 bytes", "6 bytes"])
        expectUsageError(["putport", "01:02:03"], ["3 bytes"])
        expectUsageError(["check", "01", "ff"], ["1 byte,", "random"])
    }

    @Test func notHex() {
        expectUsageError(["putport", "01020304050g"], ["not hex"])
        expectUsageError(["putport", "0102030405060"], ["not hex"])  // odd digit count
        expectUsageError(["putport", ""], ["not hex"])
        expectUsageError(["putport", "01::02:03:04:05"], ["not hex"])
        expectUsageError(["putport", "001:02:03:04:05:06"], ["not hex"])
        expectUsageError(["flipaddr", "zz"], ["not hex", "8 bytes"])
    }

    @Test func flipAddressOfTheWrongLength() {
        expectUsageError(["flipaddr", "010203040506"], ["6 bytes", "8 bytes"])
    }

    @Test func badRights() {
        for bad in ["1ff", "", "g", "+f", "1-", "0x", "f f"] {
            expectUsageError(["check", "010203040506", bad], ["rights are one byte"])
            expectUsageError(["restrict", ownerCap, bad], ["rights are one byte"])
        }
    }

    @Test func badCapabilities() {
        expectUsageError(["show", "0d6e00b12afe"], ["PORT/OBJECT(RIGHTS)/CHECK"])
        expectUsageError(["show", "0d:6e:00:b1:2a/1(ff)/010203040506"], ["port is not 6 hex bytes"])
        expectUsageError(["show", "0d6e00b12afe/1(ff)/0102030405"], ["check is not 6 hex bytes"])
        expectUsageError(["show", "0d6e00b12afe/x(ff)/010203040506"], ["not decimal"])
        expectUsageError(["show", "0d6e00b12afe/16777216(ff)/010203040506"], ["24 bits"])
        expectUsageError(["show", "0d6e00b12afe/1(fff)/010203040506"], ["rights"])
        expectUsageError(["show", "0d6e00b12afe/(ff)/010203040506"], ["OBJECT(RIGHTS)"])
        expectUsageError(["restrict", "0d6e00b12afe/1ff/010203040506", "0f"], ["OBJECT(RIGHTS)"])
    }

    @Test func missingArguments() {
        expectUsageError(["putport"], ["Missing", "<get-port>"])
        expectUsageError(["flipaddr"], ["Missing", "<private-address>"])
        expectUsageError(["check", "010203040506"], ["Missing", "<rights>"])
        expectUsageError(["check"], ["Missing", "<random>"])
        expectUsageError(["restrict", ownerCap], ["Missing", "<mask>"])
        expectUsageError(["show"], ["Missing", "<capability>"])
    }

    @Test func extraArguments() {
        expectUsageError(["putport", "010203040506", "010203040506"], ["Unexpected argument"])
        expectUsageError(["ports", "x"], ["Unexpected argument"])
    }

    @Test func unknownSubcommand() {
        expectUsageError(["frobnicate"], ["Unexpected argument 'frobnicate'"])
    }

    @Test func noSubcommandShowsHelpAndFails() {
        expectUsageError([], ["USAGE: cap <subcommand>", "putport", "restrict"])
    }

    @Test func helpForEverySubcommand() {
        let subcommands = ["ports", "putport", "flipaddr", "check", "restrict", "show"]
        for args in [["--help"], ["help"]] + subcommands.flatMap({ [[$0, "--help"], ["help", $0]] }) {
            let o = CapTool.execute(args)
            #expect(o.status == 0, "\(args)")
            #expect(o.standardError.isEmpty, "\(args)")
            #expect(o.standardOutput.contains("USAGE: cap"), "\(args)")
        }
        #expect(CapTool.execute(["putport", "-h"]).standardOutput.contains("USAGE: cap putport <get-port>"))
    }
}
