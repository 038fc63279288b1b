// How the tools find the root, and how they read masks: AMOEBA_ROOT as text
// or as a file, root.cap in the daemon's state folder, and a clear refusal
// naming what was tried when nothing is found.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Foundation
import ShellSupport
import Testing

@Suite struct RootCapabilityTests {
    let cap = try! Capability(text: "01:02:03:04:05:06/7(ff)/0a:0b:0c:0d:0e:0f")

    func scratch() -> String {
        let d = NSTemporaryDirectory() + "root-test-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func environmentTextWins() throws {
        let d = scratch()
        let found = try RootCapability.find(environment: ["AMOEBA_ROOT": cap.text, "HOME": d])
        #expect(found == cap)
    }

    @Test func environmentFileTextOrRaw() throws {
        let d = scratch()
        try RootCapability.write(cap, to: d + "/r.cap")
        #expect(try RootCapability.find(environment: ["AMOEBA_ROOT": d + "/r.cap"]) == cap)
        FileManager.default.createFile(atPath: d + "/raw", contents: Data(cap.bytes))
        #expect(try RootCapability.find(environment: ["AMOEBA_ROOT": d + "/raw"]) == cap)
    }

    @Test func badEnvironmentIsRefusedNotIgnored() {
        #expect(throws: RootCapability.NotFound.self) {
            _ = try RootCapability.find(environment: ["AMOEBA_ROOT": "/nonexistent/root.cap"])
        }
    }

    @Test func stateFolderThenHome() throws {
        let state = scratch(), home = scratch()
        let env = ["AMUNIX_SOCKET": state + "/amunixd.sock", "HOME": home]
        #expect(throws: RootCapability.NotFound.self) { _ = try RootCapability.find(environment: env) }
        try RootCapability.write(cap, to: home + "/.amoeba/root.cap")
        #expect(try RootCapability.find(environment: env) == cap)
        let other = try Capability(text: "01:02:03:04:05:06/8(0f)/0a:0b:0c:0d:0e:0f")
        try RootCapability.write(other, to: state + "/root.cap")
        #expect(try RootCapability.find(environment: env) == other)
        #expect(try RootCapability.find(environment: env.merging(["AMUNIX_STATE_DIR": home]) { $1 }) == cap)
    }

    @Test func writeIsReadBack() throws {
        let d = scratch()
        try RootCapability.write(cap, to: d + "/deeper/root.cap")
        #expect(RootCapability.read(file: d + "/deeper/root.cap") == cap)
        FileManager.default.createFile(atPath: d + "/junk", contents: Data("junk".utf8))
        #expect(RootCapability.read(file: d + "/junk") == nil)
    }

    @Test func masksParse() {
        #expect(DefaultMasks.parse("ff:6:4") == [0xFF, 0x06, 0x04])
        #expect(DefaultMasks.parse("2") == [0x02])
        #expect(DefaultMasks.parse("") == nil)
        #expect(DefaultMasks.parse("ff:6:4:1:1") == nil)
        #expect(DefaultMasks.parse("100") == nil)
        #expect(DefaultMasks.parse("zz") == nil)
    }
}

/// The working directory: relative paths, `.` and `..` resolved by name,
/// and WORK falling back to the root as Amoeba's does.
@Suite struct WorkingDirectoryTests {
    @Test func dotsAreResolvedByName() throws {
        #expect(try AmoebaPath("/home/../hosts").components == ["hosts"])
        #expect(try AmoebaPath("/home/./ann/").components == ["home", "ann"])
        #expect(try AmoebaPath("/../..").isRoot)
        #expect(try AmoebaPath("a/b/../c").components == ["a", "c"])
    }

    @Test func relativePathsStartAtTheBase() throws {
        let ann = try AmoebaPath("/home/ann")
        #expect(try AmoebaPath("src", from: ann).components == ["home", "ann", "src"])
        #expect(try AmoebaPath(".", from: ann) == ann)
        #expect(try AmoebaPath("../bob", from: ann).components == ["home", "bob"])
        #expect(try AmoebaPath("/hosts", from: ann).components == ["hosts"])
    }

    @Test func workComesFromTheEnvironmentElseTheRoot() throws {
        #expect(try WorkingDirectory.find(environment: [:]).isRoot)
        #expect(try WorkingDirectory.find(environment: ["_WORK": "/home"]).components == ["home"])
        #expect(try WorkingDirectory.find(environment: ["AMOEBA_WORK": "/home/ann", "_WORK": "/home"]).components == ["home", "ann"])
        #expect(throws: WorkingDirectory.Bad.self) { try WorkingDirectory.find(environment: ["AMOEBA_WORK": "home"]) }
    }
}
