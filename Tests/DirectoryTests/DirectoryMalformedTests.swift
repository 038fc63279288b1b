import Testing
import AmoebaCore
import Storage
import Directory
import DirectoryProtocol
import TestSupport

/// Bad input gets a clear Amoeba error and changes nothing.
@Suite struct DirectoryMalformedTests {
    @Test func badNamesAreArgBad() {
        let f = Fixture()
        for name in ["", "a b", "a/b", "tab\t", String(repeating: "n", count: 256), "caf\u{e9}"] {
            #expect(f.append(f.root, name, .empty) == .argumentBad, "name \(name)")
        }
        #expect(f.append(f.root, String(repeating: "n", count: 255), .empty) == .ok)
        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["a/b"])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.getMasks, Req.strings([""])) == .argumentBad)
    }

    /// "." and ".." mean the directory and its parent in a path, so no
    /// row may be called that: every command naming a row refuses them.
    @Test func dotNamesAreArgBad() {
        let f = Fixture()
        let set = CapabilitySet(foreignCap(3))
        for name in [".", ".."] {
            #expect(f.append(f.root, name, set) == .argumentBad)
            #expect(f.status(f.root, DirectoryCommand.replace, Req.replace(name, set)) == .argumentBad)
            #expect(f.status(f.root, DirectoryCommand.chmod, Req.chmod(name, [1])) == .argumentBad)
            #expect(f.status(f.root, DirectoryCommand.delete, Req.strings([name])) == .argumentBad)
            let install = Req.install([(CapabilitySet(f.root), name, set, .null)])
            #expect(f.status(f.root, DirectoryCommand.install, install) == .argumentBad)
        }
        // Names that only begin with a dot are ordinary.
        #expect(f.append(f.root, "...", set) == .ok)
        #expect(f.append(f.root, ".profile", set) == .ok)
        #expect(f.server.directories[f.root.private.object.value]!.rows.map(\.name) == ["...", ".profile"])
    }

    @Test func overlongPathIsArgBad() {
        let f = Fixture()
        let long = Array(repeating: "abc", count: 100).joined(separator: "/")
        #expect(f.lookup(f.root, long).0 == .argumentBad)
    }

    @Test func missingTerminatorIsArgBad() {
        let f = Fixture()
        #expect(f.status(f.root, DirectoryCommand.lookup, Array("abc".utf8)) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.delete, Array("abc".utf8)) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.lookup, []) == .argumentBad)
    }

    /// Every prefix of a valid APPEND, REPLACE, INSTALL and SETLOOKUP
    /// request is refused with STD_ARGBAD, and never creates anything.
    @Test func truncatedBuffersAreArgBad() {
        let f = Fixture()
        let set = CapabilitySet(foreignCap(3))
        let requests: [(UInt16, [UInt8])] = [
            (DirectoryCommand.append, Req.append("name", set, [1])),
            (DirectoryCommand.replace, Req.replace("name", set)),
            (DirectoryCommand.install, Req.install([(CapabilitySet(f.root), "name", set, .null)])),
            (DirectoryCommand.setLookup, Req.setLookup([(CapabilitySet(f.root), "name")])),
        ]
        for (command, full) in requests {
            for cut in 0..<full.count {
                let e = f.status(f.root, command, Array(full[0..<cut]))
                // APPEND cut inside its single mask leaves a valid shorter
                // request only at the mask boundary, which has no mask: bad.
                #expect(e == .argumentBad, "command \(command) cut at \(cut): \(e.name)")
            }
        }
        #expect(f.server.directories[f.root.private.object.value]!.rows.isEmpty)
    }

    @Test func capsetCountOutOfRangeIsArgBad() {
        let f = Fixture()
        var w = BufferWriter()
        try! w.write(string: "x")
        try! w.write(Int16(1))
        try! w.write(Int16(9))
        for _ in 0..<9 { try! w.write(foreignCap(1)); try! w.write(Int16(1)) }
        try! w.write(UInt32(1))
        #expect(f.status(f.root, DirectoryCommand.append, w.bytes) == .argumentBad)
    }

    @Test func extraBytesAfterMasksAreArgBad() {
        let f = Fixture()
        #expect(f.status(f.root, DirectoryCommand.append, Req.append("x", .empty, [1, 2, 3, 4, 5])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.append, Req.append("x", .empty, [1]) + [0]) == .argumentBad)
    }

    /// Random bytes under every command and a few capabilities: the handler
    /// answers each with a status, never traps, and the state stays decodable.
    @Test func randomRequestsNeverCrash() {
        let f = Fixture()
        #expect(f.append(f.root, "seed", CapabilitySet(f.root)) == .ok)
        var rng = SeededRandom(7)
        let commands: [UInt16] = Array(2098...2114) + Array(1000...1010)
        let caps = [f.root, f.restricted(f.root, 0x41), f.server.superCapability, .null]
        for i in 0..<3000 {
            let n = Int(rng.next() % 120)
            var data = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 3 == 0, !data.isEmpty { data[data.count - 1] = 0 }
            var h = Header(capability: caps[i % caps.count], command: commands[Int(rng.next() % UInt64(commands.count))])
            h.offset = Int32(truncatingIfNeeded: rng.next())
            h.size = UInt16(truncatingIfNeeded: rng.next())
            h.extra = UInt16(truncatingIfNeeded: rng.next())
            let (reply, bytes) = f.server.handle(header: h, data: data)
            #expect(Int(reply.size) == bytes.count || reply.command == 0 && reply.size == UInt16(truncatingIfNeeded: bytes.count))
        }
        let reopened = try? DirectoryServer(store: f.store, generator: SeededRandom(1))
        #expect(reopened?.directories == f.server.directories)
    }
}
