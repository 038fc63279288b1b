// The `cap` subcommands against the known vectors of F and of capability
// restriction, run through the same entry point the binary uses.
//
// Each test runs a whole command line in-process with `CapTool.execute` and
// checks all three results: status, standard output and standard error.

import AmoebaCore
import Testing
@testable import cap

/// Runs `cap` with the words of `line` (split on spaces).
func run(_ line: String) -> CapTool.Outcome {
    CapTool.execute(line.split(separator: " ").map(String.init))
}

/// The one-value output of a successful run, without its newline.
func value(_ line: String) -> String? {
    let o = run(line)
    guard o.status == 0, o.standardError.isEmpty, o.standardOutput.hasSuffix("\n") else { return nil }
    return String(o.standardOutput.dropLast())
}

let ownerCap = "0d:6e:00:b1:2a:fe/123(ff)/01:02:03:04:05:06"

@Suite struct CapCommandTests {
    @Test func putPortOfTheKnownVector() {
        #expect(value("putport 010203040506") == "0d6e00b12afe")
    }

    @Test func putPortAcceptsColonsAndCapitals() {
        #expect(value("putport 01:02:03:04:05:06") == "0d6e00b12afe")
        #expect(value("putport 1:2:3:4:5:6") == "0d6e00b12afe")
        #expect(value("putport 0A0B0C0D0E0F") == Port(hex: "0a0b0c0d0e0f")!.putPort.hex)
    }

    @Test func flipAddressOfTheKnownVector() {
        #expect(value("flipaddr 0102030405060700") == "d70d52d1b9d01900")
        #expect(value("flipaddr 01:02:03:04:05:06:07:00") == "d70d52d1b9d01900")
    }

    @Test func flipAddressKeepsTheSpaceByte() throws {
        let out = try #require(value("flipaddr 0102030405060709"))
        #expect(out.hasSuffix("09"))
        #expect(out != "0102030405060709")
    }

    @Test func portsPrintsAPairRelatedByF() throws {
        let o = run("ports")
        #expect(o.status == 0)
        #expect(o.standardError.isEmpty)
        let lines = o.standardOutput.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        #expect(lines[0].hasPrefix("get-port "))
        #expect(lines[1].hasPrefix("put-port "))
        let get = try #require(Port(hex: String(lines[0].dropFirst("get-port ".count))))
        let put = try #require(Port(hex: String(lines[1].dropFirst("put-port ".count))))
        #expect(!get.isNull)
        #expect(put == get.putPort)
    }

    @Test func portsAreFreshEachTime() {
        let runs = Set((0..<8).map { _ in run("ports").standardOutput })
        #expect(runs.count == 8)
    }

    @Test func checkWithAllRightsIsTheRandom() {
        #expect(value("check 010203040506 ff") == "010203040506")
        #expect(value("check 01:02:03:04:05:06 FF") == "010203040506")
    }

    @Test func checkWithFewerRightsIsFOfRandomXorRights() {
        // byte 0: 01 ^ 0f = 0e
        let expected = Port(hex: "0e0203040506")!.putPort.hex
        #expect(value("check 010203040506 0f") == expected)
        #expect(value("check 010203040506 f") == expected)
        #expect(value("check 010203040506 0x0f") == expected)
        #expect(value("check 010203040506 00") == Port(hex: "010203040506")!.putPort.hex)
    }

    @Test func restrictAnOwnerCapability() throws {
        let out = try #require(value("restrict \(ownerCap) 0f"))
        let cap = try Capability(text: out)
        #expect(cap.port.hex == "0d6e00b12afe")
        #expect(cap.private.object.value == 123)
        #expect(cap.private.rights.rawValue == 0x0f)
        #expect(cap.private.check.hex == value("check 010203040506 0f"))
        #expect(cap.private.isValid(forRandom: Port(hex: "010203040506")!))
    }

    @Test func restrictToAllRightsKeepsTheCapability() {
        #expect(value("restrict \(ownerCap) ff") == ownerCap)
    }

    @Test func restrictRefusesACapabilityWithoutAllRights() {
        let o = run("restrict 0d:6e:00:b1:2a:fe/123(0f)/01:02:03:04:05:06 03")
        #expect(o.status == CapTool.failureStatus)
        #expect(o.standardOutput.isEmpty)
        #expect(o.standardError.contains("server must be asked"))
        #expect(o.standardError.contains("rights 0f"))
    }

    @Test func showPrintsEveryField() {
        let o = run("show 0d:6e:00:b1:2a:fe/70000(a5)/01:02:03:04:05:06")
        #expect(o.status == 0)
        #expect(o.standardOutput == """
            put-port 0d6e00b12afe
            object 70000
            rights a5 10100101
            check 010203040506

            """)
    }

    @Test func showAcceptsAmoebaUnpaddedText() {
        let o = run("show d:6e:0:b1:2a:fe/0(1)/1:2:3:4:5:6")
        #expect(o.status == 0)
        #expect(o.standardOutput.contains("put-port 0d6e00b12afe\n"))
        #expect(o.standardOutput.contains("rights 01 00000001\n"))
    }

    @Test func showRoundTripsWhatRestrictPrints() throws {
        let restricted = try #require(value("restrict \(ownerCap) 42"))
        let o = run("show \(restricted)")
        #expect(o.standardOutput.contains("rights 42 01000010\n"))
    }
}
