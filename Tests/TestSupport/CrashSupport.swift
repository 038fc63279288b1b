// Running `servers-crash-child` and killing it with SIGKILL mid-stream:
// the crash tests of the directory and file servers.

import Foundation
import Glibc

/// A fresh empty directory under the system's temporary directory.
public func temporaryDirectory(_ tag: String) -> String {
    let path = NSTemporaryDirectory() + "amoeba-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.removeItem(atPath: path)
    return path
}

/// The crash child, built next to the test bundle.
public func crashChildPath() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The test binary may sit inside a bundle directory.
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("servers-crash-child").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return "servers-crash-child"
}

/// Starts the child, waits until it has printed `acks` lines, lets it run on for a random fraction of a millisecond or
/// so, kills it with SIGKILL, and returns every complete line it printed.
/// The output is drained as it comes, so the child is never parked on a
/// full pipe (which would make every kill land just after an ack).
public func runAndKill(_ arguments: [String], acks: Int) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: crashChildPath())
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    var text = Data()
    var count = 0
    let deadline = Date().addingTimeInterval(60)
    while count < acks, Date() < deadline {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }  // the child exited
        text.append(chunk)
        count += chunk.filter { $0 == UInt8(ascii: "\n") }.count
    }
    usleep(UInt32.random(in: 0...3000))
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    // Whatever the child wrote before it died was acknowledged too.
    text.append(out.fileHandleForReading.readDataToEndOfFile())
    let lines = String(decoding: text, as: UTF8.self).components(separatedBy: "\n")
    // A line cut by the kill is not a complete acknowledgement.
    return text.last == UInt8(ascii: "\n") ? lines : Array(lines.dropLast())
}
