// The built `cap` binary itself, run as a child process: the few lines of
// `main.swift` that turn an outcome into bytes on stdout and stderr and an
// exit status are only checked here.
//
// SwiftPM puts the binary beside the test bundle in the build directory
// (`swift build --build-tests`, which CI runs, builds every product).

import Foundation
import Testing

/// Runs the built binary; nil if it cannot be found.
func runBinary(_ arguments: [String]) throws -> (status: Int32, out: String, err: String)? {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // The test bundle may be a directory (.xctest) rather than a file.
    if !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("cap").path) {
        directory = directory.deletingLastPathComponent()
    }
    let cap = directory.appendingPathComponent("cap")
    guard FileManager.default.isExecutableFile(atPath: cap.path) else { return nil }
    let process = Process()
    process.executableURL = cap
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData, as: UTF8.self))
}

@Suite struct CapBinaryTests {
    @Test func printsTheValueAloneAndExitsZero() throws {
        let r = try #require(try runBinary(["putport", "010203040506"]),
                             "the cap binary was not built beside the tests")
        #expect(r.status == 0)
        #expect(r.out == "0d6e00b12afe\n")
        #expect(r.err.isEmpty)
    }

    @Test func badInputExitsNonZeroWithAMessage() throws {
        let r = try #require(try runBinary(["putport", "0102"]),
                             "the cap binary was not built beside the tests")
        #expect(r.status == 64)
        #expect(r.out.isEmpty)
        #expect(r.err.contains("2 bytes, but a get-port is 6 bytes"))
    }

    @Test func refusalExitsOne() throws {
        let r = try #require(try runBinary(["restrict", "0d6e00b12afe/1(0f)/010203040506", "01"]),
                             "the cap binary was not built beside the tests")
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("cap: cannot restrict locally"))
    }
}
