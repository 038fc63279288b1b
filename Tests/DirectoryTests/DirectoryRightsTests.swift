import Testing
import AmoebaCore
import Storage
import Directory
import DirectoryProtocol

/// What a capability allows: modification needs SP_MODRGT, destruction
/// SP_DELRGT, everything needs a column the directory has, and what a
/// lookup hands back is bounded by the columns the capability selects.
@Suite struct DirectoryRightsTests {
    @Test func readOnlyCapabilityCannotModify() throws {
        let f = Fixture()
        #expect(f.append(f.root, "x", CapabilitySet(foreignCap(1))) == .ok)
        let reader = f.restricted(f.root, 0x07)  // columns only
        #expect(f.append(reader, "y", .empty) == .denied)
        #expect(f.status(reader, DirectoryCommand.delete, Req.strings(["x"])) == .denied)
        #expect(f.status(reader, DirectoryCommand.replace, Req.replace("x", .empty)) == .denied)
        #expect(f.status(reader, DirectoryCommand.chmod, Req.chmod("x", [0])) == .denied)
        #expect(f.status(reader, DirectoryCommand.discard) == .denied)
        var w = BufferWriter()
        try w.write(string: "x")
        try w.write(foreignCap(3))
        #expect(f.status(reader, DirectoryCommand.putType, w.bytes) == .denied)
        #expect(f.status(reader, DirectoryCommand.install,
                         Req.install([(CapabilitySet(reader), "x", .empty, foreignCap(1))])) == .denied)
        // Reading still works, and nothing changed.
        #expect(f.lookup(reader, "x").0 == .ok)
        #expect(f.call(reader, DirectoryCommand.list, size: 1000).0.status == .ok)
        #expect(f.server.directories[f.root.private.object.value]!.rows.count == 1)
    }

    @Test func modifyRightWithoutColumnIsDenied() {
        let f = Fixture()
        let noColumns = f.restricted(f.root, 0xC0)
        #expect(f.append(noColumns, "y", .empty) == .denied)
        #expect(f.lookup(noColumns, "y").0 == .denied)
        // Column bit 4 does not exist in a three-column directory.
        let ghost = f.restricted(f.root, 0x48)
        #expect(f.append(ghost, "y", .empty) == .denied)
    }

    @Test func destroyNeedsDeleteRight() throws {
        let f = Fixture()
        let d = try #require(f.create(f.root))
        #expect(f.status(f.restricted(d, 0x4F), StandardCommand.destroy) == .denied)
        #expect(f.status(f.restricted(d, 0x8F), StandardCommand.destroy) == .ok)
    }

    /// The "other" column of the row grants only read (0x02) on a file:
    /// a caller whose capability selects only "other" gets that, however
    /// strong the stored capability.
    @Test func lookedUpCapabilityCarriesOnlyColumnRights() throws {
        let f = Fixture()
        let file = foreignCap(5)  // an owner capability of another server
        #expect(f.append(f.root, "f", CapabilitySet(file), [0xFF, 0x06, 0x02]) == .ok)
        let other = f.restricted(f.root, 0x04)
        let got = try #require(f.resolve(other, "f"))
        #expect(got.private.rights.rawValue == 0x02)
        #expect(got == (try Restriction.restrict(file, to: Rights(rawValue: 0x02))))
        let group = try #require(f.resolve(f.restricted(f.root, 0x02), "f"))
        #expect(group.private.rights.rawValue == 0x06)
        // Owner and other together: the union of both masks.
        #expect(f.resolve(f.restricted(f.root, 0x05), "f") == file)
    }

    /// Through a chain of directories the rights only shrink: the masks of
    /// each row bound which columns of the next directory may be used.
    @Test func rightsNarrowAlongAPath() throws {
        let f = Fixture()
        let sub = try #require(f.create(f.root))
        // In root, "sub" gives "other" callers only column 3 of sub.
        #expect(f.append(f.root, "sub", CapabilitySet(sub), [0xFF, 0x0F, 0x04]) == .ok)
        #expect(f.append(sub, "secret", CapabilitySet(foreignCap(1)), [0xFF, 0x00, 0x00]) == .ok)
        #expect(f.append(sub, "public", CapabilitySet(foreignCap(2)), [0xFF, 0x02, 0x02]) == .ok)
        let other = f.restricted(f.root, 0x04)
        // The directory capability itself comes back restricted to 0x04.
        let subCap = try #require(f.resolve(other, "sub"))
        #expect(subCap.private.rights.rawValue == 0x04)
        #expect(f.append(subCap, "mine", .empty) == .denied)
        // secret's "other" mask is 0: a zero-rights capability.
        #expect(f.resolve(other, "sub/secret")?.private.rights.rawValue == 0)
        #expect(f.resolve(other, "sub/public")?.private.rights.rawValue == 0x02)
        #expect(f.resolve(f.root, "sub/secret") == foreignCap(1))
    }

    /// A non-owner capability of another server cannot be restricted here;
    /// SOAP then hands back only its port and says SP_UNREACH, unless the
    /// driver supplies a way to ask that server.
    @Test func foreignNonOwnerCapabilityNeedsHelpToRestrict() throws {
        let f = Fixture()
        let weak = try Restriction.restrict(foreignCap(1), to: Rights(rawValue: 0x0F))
        #expect(f.append(f.root, "w", CapabilitySet(weak), [0xFF, 0x03, 0x01]) == .ok)
        #expect(f.lookup(f.root, "w").2?.current == [weak])  // no restriction needed
        #expect(f.lookup(f.restricted(f.root, 0x02), "w").0 == .directoryUnreachable)
        f.server.restrictForeign = { cap, mask in
            var c = cap
            c.private.rights = mask
            return c
        }
        #expect(f.resolve(f.restricted(f.root, 0x02), "w")?.private.rights.rawValue == 0x03)
    }

    @Test func forgedCapabilitiesAreRefused() {
        let f = Fixture()
        var forged = f.root
        forged.private.rights = Rights(rawValue: 0x7F)  // fewer rights, same check
        #expect(f.append(forged, "x", .empty) == .capabilityBad)
        var wrongObject = f.root
        wrongObject.private.object = ObjectNumber(77)!
        #expect(f.append(wrongObject, "x", .empty) == .directoryUnreachable)
        var zero = f.root
        zero.private.object = ObjectNumber(0)!
        #expect(f.append(zero, "x", .empty) == .capabilityBad)
        #expect(f.status(Capability.null, DirectoryCommand.list) == .capabilityBad)
        // Restricting a forged capability is refused too.
        #expect(f.call(forged, StandardCommand.restrict, offset: 1).0.status == .capabilityBad)
    }
}
