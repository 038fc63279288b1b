// The node directory as a SOAP directory: LIST and LOOKUP in SOAP's
// buffers (read back by the same decoders the `dir` tool uses), the
// capability checks, and the commands it refuses. Brought together from
// the kernel directory's and amunixd's host directory's tests.

import AmoebaCore
import DirectoryProtocol
import NodeServers
import Testing

@Suite struct NodeDirectoryTests {
    let node = Identities.set()
    var dir: Capability { node.directory.identity.capability }

    func ask(_ header: Header, _ data: [UInt8] = []) -> NodeMessage { node.directory.handle(header, data) }

    @Test func theSetEntersItsServers() throws {
        #expect(node.directory.entries.map(\.name) == ["sys", "tod", "random"])
        #expect(node.directory.lookup("tod") == Identities.time.capability)
        #expect(node.directory.lookup("sys")?.private.object == .node)
        #expect(throws: NodeDirectoryError.exists) { try node.directory.add("tod", Identities.time.capability) }
        #expect(throws: NodeDirectoryError.badName) { try node.directory.add("a/b", Identities.time.capability) }
        #expect(throws: NodeDirectoryError.badMasks) {
            try node.directory.add("x", Identities.time.capability, masks: [0xFF])
        }
        #expect(node.directory.listing.hasPrefix("sys " + Identities.system.capability.text + "\n"))
    }

    /// LIST in SOAP's layout, byte for byte: int16 columns, int16 rows, the
    /// column names, then each row's name and a mask per column; paged by
    /// `extra` when the caller's buffer is small.
    @Test func listIsInSoapLayout() throws {
        let list = ask(request(dir, DirectoryCommand.list, size: 1000))
        #expect(list.header.status == .ok)
        #expect(list.header.extra == DirectoryLimits.noMoreRows)
        var expected: [UInt8] = [3, 0, 3, 0] + Array("owner".utf8) + [0] + Array("group".utf8) + [0] + Array("other".utf8) + [0]
        for name in ["sys", "tod", "random"] { expected += Array(name.utf8) + [0] + [0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }
        #expect(list.data == expected)
        #expect(list.header.size == UInt16(expected.count))
        let page = try DirectoryReply.list(list.data)
        #expect(page.columns == ["owner", "group", "other"] && page.totalRows == 3)
        #expect(page.rows.map(\.name) == ["sys", "tod", "random"])
        // Room for the heading and one row: paged.
        let first = ask(request(dir, DirectoryCommand.list, size: 40))
        #expect(first.header.status == .ok && first.header.extra == 1)
        let rest = ask(request(dir, DirectoryCommand.list, size: 1000, extra: 1))
        #expect(try DirectoryReply.list(rest.data).rows.map(\.name) == ["tod", "random"])
        #expect(rest.data.count == 22 + 16 + 19)
        #expect(ask(request(dir, DirectoryCommand.list, size: 10)).header == Header.status(.overflow))
    }

    @Test func lookupGivesTheServersCapabilityAndTheRestOfThePath() throws {
        let found = ask(request(dir, DirectoryCommand.lookup), DirectoryRequest.name("tod"))
        #expect(found.header.status == .ok)
        let answer = try DirectoryReply.lookup(found.data)
        #expect(answer.rest == "" && answer.capabilities.current == [Identities.time.capability])
        // Fixed bytes: the empty rest, then the set of one current capability.
        #expect(found.data == [0, 1, 0, 1, 0] + Identities.time.capability.bytes + [1, 0])
        // Beyond a server the rest of the path goes back to the caller.
        for (path, rest) in [("/tod/a/b", "a/b"), ("sys/x/y", "x/y"), ("//random/", "")] {
            let r = ask(request(dir, DirectoryCommand.lookup), DirectoryRequest.name(path))
            #expect(try DirectoryReply.lookup(r.data).rest == rest)
        }
        #expect(ask(request(dir, DirectoryCommand.lookup), DirectoryRequest.name("nope")).header == Header.status(.notFound))
        #expect(ask(request(dir, DirectoryCommand.lookup), DirectoryRequest.name("to")).header == Header.status(.notFound))
        // Longer than PATH_MAX.
        let long = DirectoryRequest.name(String(repeating: "a", count: 256))
        #expect(ask(request(dir, DirectoryCommand.lookup), long).header == Header.status(.argumentBad))
    }

    @Test func getMasksOfARow() throws {
        let r = ask(request(dir, DirectoryCommand.getMasks), DirectoryRequest.name("sys"))
        #expect(try DirectoryReply.masks(r.data) == [0xFF, 0, 0])
        #expect(ask(request(dir, DirectoryCommand.getMasks), DirectoryRequest.name("nope")).header
                == Header.status(.notFound))
        #expect(ask(request(dir, DirectoryCommand.getMasks), DirectoryRequest.name("a b")).header
                == Header.status(.argumentBad))
    }

    @Test func forgedAndForeignCapabilitiesAreRefused() {
        var forged = dir
        forged.private.check = Port(bytes: [1, 1, 1, 1, 1, 1])!
        for command in [StandardCommand.info, StandardCommand.touch, DirectoryCommand.list, DirectoryCommand.append] {
            #expect(ask(request(forged, command, size: 100)).header == Header.status(.capabilityBad))
        }
        // Another object of this server is gone (sp_getobj: SP_UNREACH).
        var other = dir
        other.private = PrivatePart(object: ObjectNumber(2)!, rights: .all, random: Identities.directory.random)
        #expect(ask(request(other, DirectoryCommand.list, size: 100)).header == Header.status(.directoryUnreachable))
        #expect(ask(request(dir, 9999)).header == Header.status(.commandBad))
        #expect(ask(request(dir, DirectoryCommand.setLookup)).header == Header.status(.commandBad))
    }

    /// The node fills its directory; nobody else may change it.
    @Test func changesAreDenied() {
        for command in [DirectoryCommand.create, DirectoryCommand.append, DirectoryCommand.chmod, DirectoryCommand.delete,
                        DirectoryCommand.install, DirectoryCommand.putType, DirectoryCommand.replace] {
            #expect(ask(request(dir, command), DirectoryRequest.name("x")).header == Header.status(.denied))
        }
        #expect(node.directory.entries.count == 3)
    }

    @Test func restrictThenUse() throws {
        let r = ask(request(dir, StandardCommand.restrict, offset: 0x0F))
        #expect(r.header.status == .ok)
        let weaker = r.header.capability
        #expect(weaker == restricted(dir, 0x0F))
        #expect(ask(request(weaker, DirectoryCommand.list, size: 1000)).header.status == .ok)
        // Restricting further only removes rights.
        #expect(ask(request(weaker, StandardCommand.restrict, offset: 0xF3)).header.private.rights.rawValue == 0x03)
    }

    @Test func touchAndNTouch() {
        #expect(ask(request(dir, StandardCommand.touch)).header == Header.status(.ok))
        var generic = dir
        generic.private = PrivatePart(object: .server, rights: .none, check: .null)
        #expect(ask(request(generic, StandardCommand.touch)).header == Header.status(.ok))
        var forged = dir.private
        forged.check = Port(bytes: [1, 1, 1, 1, 1, 1])!
        var w = BufferWriter()
        for p in [dir.private, generic.private, forged] { try! w.write(p) }
        let r = ask(request(dir, StandardCommand.nTouch, size: 3), w.bytes)
        #expect(r.header.status == .capabilityBad && r.header.extra == 2)
        #expect(ask(request(dir, StandardCommand.nTouch, size: 2), w.bytes).header == Header.status(.argumentBad))
    }
}
