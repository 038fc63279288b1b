import Testing
import AmoebaCore
import Storage
import Directory
import DirectoryProtocol

/// Each directory command against the protocol facts of Amoeba 5.3 SOAP.
@Suite struct DirectoryCommandTests {
    @Test func commandNumbers() {
        #expect(DirectoryCommand.create == 2100)
        #expect(DirectoryCommand.list == 2102)
        #expect(DirectoryCommand.lookup == 2106)
        #expect(DirectoryCommand.getSequenceNumber == 2112)
        #expect(ErrorCode.directoryNotEmpty.rawValue == -2102)
    }

    @Test func createReturnsOwnerCapabilityInHeader() throws {
        let f = Fixture()
        let (h, data) = f.call(f.root, DirectoryCommand.create, Req.strings(["owner", "other"]))
        #expect(h.status == .ok)
        #expect(data.isEmpty)
        #expect(h.port == f.server.putPort)
        #expect(h.private.rights == .all)
        #expect(h.private.object != f.root.private.object)
        let dir = try #require(f.server.directories[h.private.object.value])
        #expect(dir.columns == ["owner", "other"])
        #expect(h.private.isValid(forRandom: dir.random))
        #expect(f.call(h.capability, StandardCommand.info).1 == Array("/dw1234".utf8))  // the owner capability has every bit
        #expect(f.call(f.restricted(h.capability, 0x83), StandardCommand.info).1 == Array("/d-12--".utf8))
    }

    @Test func createChecksColumns() {
        let f = Fixture()
        #expect(f.status(f.root, DirectoryCommand.create, []) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.create, Req.strings(["a", "b", "c", "d", "e"])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.create, Req.strings(["has space"])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.create, Req.strings(["a"]) + [0x41]) == .argumentBad)
        #expect(f.create(f.root, ["a", "b", "c", "d"]) != nil)
    }

    @Test func listFormat() throws {
        let f = Fixture()
        #expect(f.append(f.root, "home", CapabilitySet(foreignCap(1)), [0xFF, 0x0F, 0x03]) == .ok)
        #expect(f.append(f.root, "bin", CapabilitySet(foreignCap(2)), [0x02]) == .ok)
        let (h, data) = f.call(f.root, DirectoryCommand.list, size: 8192, extra: 0)
        #expect(h.status == .ok)
        #expect(h.extra == DirectoryLimits.noMoreRows)
        #expect(Int(h.size) == data.count)
        var r = BufferReader(data)
        #expect(try r.readInt16() == 3)
        #expect(try r.readInt16() == 2)
        #expect(try [r.readString(), r.readString(), r.readString()] == ["owner", "group", "other"])
        #expect(try r.readString() == "home")
        #expect(try [r.readUInt32(), r.readUInt32(), r.readUInt32()] == [0xFF, 0x0F, 0x03])
        #expect(try r.readString() == "bin")
        // Masks missing from APPEND are zero.
        #expect(try [r.readUInt32(), r.readUInt32(), r.readUInt32()] == [0x02, 0, 0])
        #expect(r.isAtEnd)
    }

    /// Rows that do not fit come in later transactions: `extra` says where
    /// to go on, and every page repeats the directory's own header.
    @Test func listPagesByExtra() throws {
        let f = Fixture()
        for i in 0..<50 { #expect(f.append(f.root, "entry-\(i)", CapabilitySet(foreignCap(UInt32(i)))) == .ok) }
        var names = [String]()
        var start: UInt16 = 0
        var pages = 0
        while start != DirectoryLimits.noMoreRows {
            let (h, data) = f.call(f.root, DirectoryCommand.list, size: 200, extra: start)
            #expect(h.status == .ok)
            #expect(data.count <= 200)
            var r = BufferReader(data)
            #expect(try r.readInt16() == 3)
            #expect(try r.readInt16() == 50)
            for _ in 0..<3 { _ = try r.readString() }
            while !r.isAtEnd {
                names.append(try r.readString())
                for _ in 0..<3 { _ = try r.readUInt32() }
            }
            if h.extra != DirectoryLimits.noMoreRows { #expect(Int(h.extra) == names.count) }
            start = h.extra
            pages += 1
        }
        #expect(pages > 3)
        #expect(names == (0..<50).map { "entry-\($0)" })
    }

    @Test func listRefusesBufferLargerThanServers() {
        let f = Fixture()
        f.server.replyLimit = 8192
        #expect(f.call(f.root, DirectoryCommand.list, size: 9000).0.status == .argumentBad)
        #expect(f.call(f.root, DirectoryCommand.list, size: 10).0.status == .overflow)
    }

    /// Replies are bounded by the server's buffer: what does not fit is
    /// STD_OVERFLOW, never a truncated answer.
    @Test func repliesThatDoNotFitOverflow() {
        let f = Fixture()
        let big = CapabilitySet(initial: 8, suites: (0..<8).map { .init(capability: foreignCap(UInt32($0))) })
        #expect(f.append(f.root, "big", big) == .ok)
        f.server.replyLimit = 100
        #expect(f.lookup(f.root, "big").0 == .overflow)
        let rootSet = CapabilitySet(f.root)
        #expect(f.status(f.root, DirectoryCommand.setLookup, Req.setLookup([(rootSet, "big")])) == .overflow)
        f.server.replyLimit = 1000
        #expect(f.lookup(f.root, "big").2 == big)
    }

    @Test func appendThenLookupReturnsSetAndEmptyRest() throws {
        let f = Fixture()
        let set = CapabilitySet(initial: 2, suites: [.init(capability: foreignCap(7)), .init(capability: foreignCap(8))])
        #expect(f.append(f.root, "file", set) == .ok)
        #expect(f.append(f.root, "file", set) == .exists)
        let (e, rest, got) = f.lookup(f.root, "file")
        #expect(e == .ok)
        #expect(rest == "")
        #expect(got == set)  // owner column grants 0xFF: unchanged
    }

    @Test func multiComponentLookupAcrossOwnDirectories() throws {
        let f = Fixture()
        let home = try #require(f.create(f.root))
        let ann = try #require(f.create(f.root))
        #expect(f.append(f.root, "home", CapabilitySet(home)) == .ok)
        #expect(f.append(home, "ann", CapabilitySet(ann)) == .ok)
        #expect(f.append(ann, "notes", CapabilitySet(foreignCap(42))) == .ok)
        let (e, rest, set) = f.lookup(f.root, "/home//ann/notes")
        #expect(e == .ok)
        #expect(rest == "")
        #expect(set?.current == [foreignCap(42)])
        #expect(f.resolve(f.root, "home/ann/") == ann)
        #expect(f.lookup(f.root, "home/bob/notes").0 == .notFound)
    }

    /// When the path leaves this server, LOOKUP returns what it reached and
    /// the rest of the path for the client to take to the next server.
    @Test func lookupStopsAtForeignDirectory() {
        let f = Fixture()
        #expect(f.append(f.root, "elsewhere", CapabilitySet(foreignCap(9))) == .ok)
        let (e, rest, set) = f.lookup(f.root, "elsewhere/a/b")
        #expect(e == .ok)
        #expect(rest == "a/b")
        #expect(set?.current == [foreignCap(9)])
    }

    @Test func replaceChmodGetMasksDelete() throws {
        let f = Fixture()
        #expect(f.append(f.root, "x", CapabilitySet(foreignCap(1)), [0xFF, 0x0F, 0x01]) == .ok)
        #expect(f.status(f.root, DirectoryCommand.replace, Req.replace("x", CapabilitySet(foreignCap(2)))) == .ok)
        #expect(f.lookup(f.root, "x").2?.current == [foreignCap(2)])
        #expect(f.status(f.root, DirectoryCommand.replace, Req.replace("y", .empty)) == .notFound)

        #expect(f.status(f.root, DirectoryCommand.chmod, Req.chmod("x", [0x7F, 0x3])) == .ok)
        let (h, masks) = f.call(f.root, DirectoryCommand.getMasks, Req.strings(["x"]))
        #expect(h.status == .ok)
        #expect(h.size == 12)
        var r = BufferReader(masks)
        #expect(try [r.readUInt32(), r.readUInt32(), r.readUInt32()] == [0x7F, 0x3, 0])
        #expect(f.status(f.root, DirectoryCommand.chmod, Req.chmod("x", [])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.chmod, Req.chmod("x", [1, 2, 3, 4, 5])) == .argumentBad)
        #expect(f.status(f.root, DirectoryCommand.getMasks, Req.strings(["nope"])) == .notFound)

        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["x"])) == .ok)
        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["x"])) == .notFound)
        #expect(f.lookup(f.root, "x").0 == .notFound)
    }

    @Test func setLookupReportsEachEntry() throws {
        let f = Fixture()
        f.server.clock = { 1234 }
        #expect(f.append(f.root, "a", CapabilitySet(foreignCap(1))) == .ok)
        var w = BufferWriter()
        try w.write(string: "a")
        try w.write(foreignCap(99))
        #expect(f.status(f.root, DirectoryCommand.putType, w.bytes) == .ok)
        let rootSet = CapabilitySet(f.root)
        let (h, data) = f.call(f.root, DirectoryCommand.setLookup,
                               Req.setLookup([(rootSet, "a"), (rootSet, "missing"), (rootSet, "bad/name")]))
        #expect(h.status == .ok)
        var r = BufferReader(data)
        #expect(try r.readInt16() == 0)
        #expect(try r.readCapability() == foreignCap(99))
        #expect(try r.readInt32() == 1234)
        #expect(try CapabilitySet.decode(from: &r).current == [foreignCap(1)])
        #expect(try r.readInt16() == ErrorCode.notFound.rawValue)
        #expect(try r.readInt16() == ErrorCode.argumentBad.rawValue)
        #expect(r.isAtEnd)
    }

    @Test func installReplacesAtomically() throws {
        let f = Fixture()
        let other = try #require(f.create(f.root))
        #expect(f.append(f.root, "a", CapabilitySet(foreignCap(1))) == .ok)
        #expect(f.append(other, "b", .empty) == .ok)
        let rootSet = CapabilitySet(f.root), otherSet = CapabilitySet(other)
        // Second entry clashes (b is empty, old cap given): nothing changes.
        let clash = Req.install([(rootSet, "a", CapabilitySet(foreignCap(2)), foreignCap(1)),
                                 (otherSet, "b", CapabilitySet(foreignCap(3)), foreignCap(7))])
        #expect(f.status(f.root, DirectoryCommand.install, clash) == .directoryClash)
        #expect(f.lookup(f.root, "a").2?.current == [foreignCap(1)])
        // Correct old capabilities (null for an empty row): both change.
        let good = Req.install([(rootSet, "a", CapabilitySet(foreignCap(2)), foreignCap(1)),
                                (otherSet, "b", CapabilitySet(foreignCap(3)), .null)])
        let before = f.store.commitCount
        #expect(f.status(f.root, DirectoryCommand.install, good) == .ok)
        #expect(f.store.commitCount == before + 1)  // one atomic batch
        #expect(f.lookup(f.root, "a").2?.current == [foreignCap(2)])
        #expect(f.lookup(other, "b").2?.current == [foreignCap(3)])
        // A restricted version of the stored capability also identifies it.
        let weaker = try Restriction.restrict(foreignCap(2), to: Rights(rawValue: 0x3))
        let viaRestricted = Req.install([(rootSet, "a", CapabilitySet(foreignCap(4)), weaker)])
        #expect(f.status(f.root, DirectoryCommand.install, viaRestricted) == .ok)
        #expect(f.status(f.root, DirectoryCommand.install, []) == .argumentBad)
    }

    @Test func sequenceNumberGrowsWithChanges() throws {
        let f = Fixture()
        func seq() throws -> UInt64 {
            let (h, d) = f.call(f.root, DirectoryCommand.getSequenceNumber)
            #expect(h.status == .ok)
            #expect(d.count == 8)
            var r = BufferReader(d)
            return UInt64(try r.readUInt32()) << 32 | UInt64(try r.readUInt32())
        }
        let s0 = try seq()
        #expect(f.append(f.root, "a", .empty) == .ok)
        let s1 = try seq()
        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["a"])) == .ok)
        #expect(s1 > s0)
        #expect(try seq() > s1)
        #expect(f.lookup(f.root, "nothing").0 == .notFound)
        #expect(try seq() == s1 + 1)  // reads do not count
    }

    @Test func discardOnlyEmptyDirectories() throws {
        let f = Fixture()
        let d = try #require(f.create(f.root))
        #expect(f.append(d, "x", .empty) == .ok)
        #expect(f.status(d, DirectoryCommand.discard) == .directoryNotEmpty)
        #expect(f.status(d, DirectoryCommand.delete, Req.strings(["x"])) == .ok)
        #expect(f.status(d, StandardCommand.destroy) == .ok)
        #expect(f.server.directories[d.private.object.value] == nil)
        #expect(f.status(d, StandardCommand.info) == .directoryUnreachable)
    }

    @Test func standardCommands() throws {
        let f = Fixture()
        #expect(f.call(f.root, StandardCommand.info).1 == Array("/dw1234".utf8))
        #expect(f.call(f.server.superCapability, StandardCommand.info).1 == Array("soap generic capability".utf8))
        let r = f.restricted(f.root, 0x41)
        #expect(r.private.rights.rawValue == 0x41)
        #expect(f.call(r, StandardCommand.info).1 == Array("/-w1---".utf8))
        // Restricting can only remove rights.
        #expect(f.restricted(r, 0xFF).private.rights.rawValue == 0x41)
        #expect(f.status(f.root, StandardCommand.touch) == .ok)
        #expect(f.status(f.server.superCapability, StandardCommand.age) == .ok)
        #expect(f.status(f.root, StandardCommand.age) == .capabilityBad)
        let (sh, text) = f.call(f.root, StandardCommand.status)
        #expect(sh.status == .ok)
        #expect(String(decoding: text, as: UTF8.self).hasPrefix("soap: 1 directories"))
        #expect(f.status(f.root, 2199) == .commandBad)
        #expect(f.status(f.root, StandardCommand.copy) == .commandBad)

        var bad = f.root
        bad.private.check = Port(hex: "000000000001")!
        var w = BufferWriter()
        try w.write(f.root.private)
        try w.write(bad.private)
        let (nh, _) = f.call(f.root, StandardCommand.nTouch, w.bytes, size: 2)
        #expect(nh.status == .capabilityBad)
        #expect(nh.extra == 1)
    }

    @Test func referencedCapabilitiesForAging() {
        let f = Fixture()
        #expect(f.append(f.root, "a", CapabilitySet(foreignCap(1))) == .ok)
        #expect(f.append(f.root, "b", CapabilitySet(initial: 1, suites: [.init(capability: foreignCap(2), isCurrent: false)])) == .ok)
        #expect(f.server.referencedCapabilities() == [foreignCap(1)])
    }
}
