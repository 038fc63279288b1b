// The std tools' shared parts: how an object is named on the command line,
// and the exit codes scripts rely on.

import AmoebaCore
import Amunix
import Foundation
import StdTools
import Testing

@Suite struct StdToolsTests {
    let cap = Capability(port: Port(hex: "0d6e00b12afe")!,
                         private: PrivatePart(object: ObjectNumber(123)!, rights: .all, check: Port(hex: "010203040506")!))

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "stdtools-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func capabilityText() throws {
        #expect(try CapabilityArgument.resolve(cap.text, stateDirectory: "/nonexistent") == cap)
    }

    @Test func capabilityFileTextOrRaw() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try (cap.text + "\n").write(toFile: d + "/t.cap", atomically: true, encoding: .utf8)
        #expect(try CapabilityArgument.resolve(d + "/t.cap", stateDirectory: "/nonexistent") == cap)
        FileManager.default.createFile(atPath: d + "/raw", contents: Data(cap.bytes))
        #expect(try CapabilityArgument.resolve(d + "/raw", stateDirectory: "/nonexistent") == cap)
        FileManager.default.createFile(atPath: d + "/junk", contents: Data("hello".utf8))
        #expect(throws: ToolError.self) { try CapabilityArgument.resolve(d + "/junk", stateDirectory: "/nonexistent") }
    }

    @Test func publishedName() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try (cap.text + "\n").write(toFile: d + "/sys.cap", atomically: true, encoding: .utf8)
        #expect(try CapabilityArgument.resolve("sys", stateDirectory: d) == cap)
        do {
            _ = try CapabilityArgument.resolve("tod", stateDirectory: d)
            Issue.record("resolved a name that was never published")
        } catch {
            #expect(error.exitCode == 64)
            #expect(error.description.contains("not a capability"))
        }
    }

    @Test func exitCodesSeparateRefusalFromUnreachable() {
        #expect(ToolError.amoeba(.denied).exitCode == 1)
        #expect(ToolError.amoeba(.capabilityBad).exitCode == 1)
        #expect(ToolError.amoeba(.rpcNotFound).exitCode == 2)
        #expect(ToolError.amoeba(.rpcFailure).exitCode == 2)
        #expect(ToolError.daemon(.cannotConnect(path: "/x", errno: 2)).exitCode == 3)
        #expect(ToolError.daemon(.connectionLost).exitCode == 3)
        #expect(ToolError.usage("x").exitCode == 64)
        #expect(ToolError.amoeba(.denied).description == "permission denied (the capability lacks the right) (STD_DENIED)")
        #expect(ToolError.amoeba(.rpcNotFound).description == "no server answers for this capability's port (RPC_NOTFOUND)")
        #expect(ToolError.explained(.exists, what: "already exists", hint: "use -f to replace").description
                    == "already exists (STD_EXISTS); use -f to replace")
    }

    @Test func timeoutDefaultsToSecondsNotTheRPCLayers20() throws {
        let options = try DaemonOptions.parse([])
        #expect(options.timeout == DaemonOptions.defaultTimeout)
        #expect(DaemonOptions.defaultTimeout < 20)
        #expect(try DaemonOptions.parse(["--timeout", "2.5"]).timeout == 2.5)
        #expect(throws: (any Error).self) { try DaemonOptions.parse(["--timeout", "0"]) }
    }

    @Test func daemonFailuresSayWhatToDo() {
        let gone = ToolError.daemon(.cannotConnect(path: "/x.sock", errno: ENOENT)).description
        #expect(gone.hasPrefix("cannot reach amunixd at /x.sock (is it running?"))
        #expect(!gone.contains("errno"))
        let refused = ToolError.daemon(.cannotConnect(path: "/x.sock", errno: ECONNREFUSED)).description
        #expect(refused.hasPrefix("cannot reach amunixd at /x.sock (is it running?"))
        #expect(!refused.contains("errno"))
    }

    @Test func noDaemonIsAClearError() {
        #expect(throws: AmunixError.cannotConnect(path: "/nonexistent/amunixd.sock", errno: ENOENT)) {
            _ = try AmunixConnection(path: "/nonexistent/amunixd.sock")
        }
    }

    @Test func theLibrarySaysErrnoInWordsToo() {
        let text = AmunixError.cannotConnect(path: "/x.sock", errno: ECONNREFUSED).description
        #expect(text == "cannot reach amunixd at /x.sock: Connection refused (is amunixd running? AMUNIX_SOCKET names its socket)")
    }
}
