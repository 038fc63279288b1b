import Testing
import AmoebaCore
import Storage
import Directory
import DirectoryProtocol

/// The client-side codecs marshal what the tests' independent builders do,
/// and read what the server answers.
@Suite struct DirectoryMessagesTests {
    @Test func requestsMatchTheWireFormat() {
        let set = CapabilitySet(foreignCap(4))
        #expect(DirectoryRequest.append(name: "a", capabilities: set, masks: [1, 2]) == Req.append("a", set, [1, 2]))
        #expect(DirectoryRequest.replace(name: "a", capabilities: set) == Req.replace("a", set))
        #expect(DirectoryRequest.chmod(name: "a", masks: [7]) == Req.chmod("a", [7]))
        #expect(DirectoryRequest.create(columns: ["x", "y"]) == Array("x\0y\0".utf8))
        #expect(DirectoryRequest.name("p/q") == Array("p/q\0".utf8))
        let root = CapabilitySet(foreignCap(1))
        #expect(DirectoryRequest.install([.init(directory: root, name: "a", capabilities: set, expected: .null)])
                == Req.install([(root, "a", set, .null)]))
        #expect(DirectoryRequest.setLookup([(root, "a")]) == Req.setLookup([(root, "a")]))
    }

    @Test func repliesDecode() throws {
        let f = Fixture()
        f.server.clock = { 77 }
        let set = CapabilitySet(foreignCap(4))
        #expect(f.status(f.root, DirectoryCommand.append, DirectoryRequest.append(name: "a", capabilities: set, masks: [0xFF, 2, 1])) == .ok)
        #expect(f.status(f.root, DirectoryCommand.putType, DirectoryRequest.putType(name: "a", type: foreignCap(9))) == .ok)

        let page = try DirectoryReply.list(f.call(f.root, DirectoryCommand.list, size: 1000).1)
        #expect(page.columns == ["owner", "group", "other"])
        #expect(page.totalRows == 1)
        #expect(page.rows.count == 1 && page.rows[0].name == "a" && page.rows[0].masks == [0xFF, 2, 1])

        let (rest, got) = try DirectoryReply.lookup(f.call(f.root, DirectoryCommand.lookup, DirectoryRequest.name("a")).1)
        #expect(rest == "" && got == set)

        let rootSet = CapabilitySet(f.root)
        let entries = try DirectoryReply.setLookup(
            f.call(f.root, DirectoryCommand.setLookup, DirectoryRequest.setLookup([(rootSet, "a"), (rootSet, "b")])).1, count: 2)
        #expect(entries.map(\.status) == [.ok, .notFound])
        #expect(entries[0].typeCapability == foreignCap(9) && entries[0].time == 77 && entries[0].capabilities == set)

        #expect(try DirectoryReply.masks(f.call(f.root, DirectoryCommand.getMasks, DirectoryRequest.name("a")).1) == [0xFF, 2, 1])
        #expect(try DirectoryReply.sequenceNumber(f.call(f.root, DirectoryCommand.getSequenceNumber).1) == 2)
    }

    @Test func malformedRepliesThrow() {
        #expect(throws: MarshalError.self) { try DirectoryReply.list([1, 0]) }
        #expect(throws: MarshalError.self) { try DirectoryReply.list([9, 0, 0, 0]) }
        #expect(throws: MarshalError.self) { try DirectoryReply.lookup(Array("abc".utf8)) }
        #expect(throws: MarshalError.self) { try DirectoryReply.setLookup([0, 0], count: 1) }
        #expect(throws: MarshalError.self) { try DirectoryReply.masks([1, 2, 3]) }
        #expect(throws: MarshalError.self) { try DirectoryReply.sequenceNumber([1]) }
    }
}
