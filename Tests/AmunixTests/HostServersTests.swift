// The host's own servers, as pure request handlers: capability checks,
// standard commands, and the kernel-server commands of sys, tod, random.

import AmoebaCore
import AmunixDaemon
import Directory
import RPC
import Testing

@Suite struct HostServersTests {
    let servers: HostServers

    init() {
        var g = SeededGenerator(seed: 3)
        servers = HostServers(hostName: "h1", using: &g)
    }

    func ask(_ kind: HostedKind, _ command: UInt16, cap: Capability? = nil, offset: Int32 = 0, size: UInt16 = 0) -> RPCMessage {
        let o = servers.object(kind)
        var h = Header(capability: cap ?? o.capability, command: command)
        h.offset = offset
        h.size = size
        var g = SeededGenerator(seed: 9)
        return servers.handle(RPCMessage(header: h), for: o, statistics: { "stats here" },
                              wallClock: { (1_700_000_000, 250) }, random: &g)
    }

    @Test func eachObjectHasItsOwnPortAndCapability() {
        let ports = Set(servers.objects.map { $0.getPort })
        #expect(ports.count == HostedKind.allCases.count)
        for o in servers.objects {
            #expect(o.capability.port == o.getPort.putPort)
            #expect(o.capability.private.rights == .all)
        }
    }

    @Test func info() {
        #expect(String(decoding: ask(.host, StandardCommand.info).data, as: UTF8.self) == "% host directory of h1")
        #expect(String(decoding: ask(.sys, StandardCommand.info).data, as: UTF8.self) == "sys server on h1")
        #expect(ask(.tod, StandardCommand.info).header.status == .ok)
    }

    @Test func statusOfSysIsTheStatistics() {
        let r = ask(.sys, StandardCommand.status)
        #expect(r.header.status == .ok)
        #expect(String(decoding: r.data, as: UTF8.self) == "stats here")
        let d = String(decoding: ask(.host, StandardCommand.status).data, as: UTF8.self)
        #expect(d.contains("sys\t" + servers.object(.sys).capability.text))
    }

    @Test func forgedCapabilityIsRefused() {
        var cap = servers.object(.sys).capability
        cap.private.check = cap.private.check.replacing(byte: 0, with: cap.private.check[0] ^ 1)
        #expect(ask(.sys, StandardCommand.info, cap: cap).header.status == .capabilityBad)
        // Another object's capability is not this one's.
        var g = SeededGenerator(seed: 4)
        let other = servers.handle(RPCMessage(header: Header(capability: servers.object(.tod).capability, command: StandardCommand.info)),
                                   for: servers.object(.sys), statistics: { "" }, wallClock: { (0, 0) }, random: &g)
        #expect(other.header.status == .capabilityBad)
    }

    @Test func restrictThenUse() throws {
        let r = ask(.sys, StandardCommand.restrict, offset: 0x0f)
        #expect(r.header.status == .ok)
        let restricted = Capability(port: r.header.port, private: r.header.private)
        #expect(restricted.private.rights.rawValue == 0x0f)
        // The server's answer is what local restriction computes.
        #expect(restricted == (try Restriction.restrict(servers.object(.sys).capability, to: Rights(rawValue: 0x0f))))
        #expect(ask(.sys, StandardCommand.info, cap: restricted).header.status == .ok)
        // Restricting further only removes rights.
        let r2 = ask(.sys, StandardCommand.restrict, cap: restricted, offset: 0xf3)
        #expect(r2.header.private.rights.rawValue == 0x03)
    }

    @Test func destroyIsDeniedTouchIsFine() {
        #expect(ask(.sys, StandardCommand.destroy).header.status == .denied)
        #expect(ask(.random, StandardCommand.touch).header.status == .ok)
        #expect(ask(.tod, 9999).header.status == .commandBad)
        #expect(ask(.tod, HostCommand.getRandom).header.status == .commandBad)
    }

    @Test func todAndRandom() {
        let t = ask(.tod, HostCommand.getTime)
        #expect(t.header.status == .ok)
        #expect(t.header.offset == 1_700_000_000)
        #expect(t.header.size == 250)
        let r = ask(.random, HostCommand.getRandom, size: 64)
        #expect(r.header.status == .ok)
        #expect(r.data.count == 64)
        #expect(Set(r.data).count > 16)
        #expect(ask(.random, HostCommand.getRandom, size: 65535).data.count == 30000)
    }
}

/// The host directory speaks SOAP's reading commands, decoded here by the
/// same reply parsers the `dir` tool uses.
@Suite struct HostDirectoryTests {
    let servers: HostServers

    init() {
        var g = SeededGenerator(seed: 4)
        servers = HostServers(hostName: "h2", using: &g)
    }

    func ask(_ command: UInt16, _ data: [UInt8] = [], cap: Capability? = nil, size: UInt16 = 30000,
             extra: UInt16 = 0) -> RPCMessage {
        let o = servers.object(.host)
        var h = Header(capability: cap ?? o.capability, command: command)
        h.size = size
        h.extra = extra
        var g = SeededGenerator(seed: 9)
        return servers.handle(RPCMessage(header: h, data: data), for: o, statistics: { "" },
                              wallClock: { (0, 0) }, random: &g)
    }

    @Test func listNamesTheServersInPages() throws {
        let r = ask(DirectoryCommand.list)
        #expect(r.header.status == .ok)
        #expect(r.header.extra == DirectoryLimits.noMoreRows)
        let page = try DirectoryReply.list(r.data)
        #expect(page.columns == ["owner", "group", "other"])
        #expect(page.rows.map(\.name) == ["sys", "tod", "random"])
        // A buffer with room for the heading and one row: paged.
        let small = ask(DirectoryCommand.list, size: 40)
        #expect(small.header.status == .ok)
        #expect(small.header.extra == 1)
        let rest = ask(DirectoryCommand.list, extra: 1)
        #expect(try DirectoryReply.list(rest.data).rows.map(\.name) == ["tod", "random"])
        #expect(ask(DirectoryCommand.list, size: 4).header.status == .overflow)
    }

    @Test func lookupGivesTheServersCapability() throws {
        let r = ask(DirectoryCommand.lookup, DirectoryRequest.name("tod"))
        #expect(r.header.status == .ok)
        let answer = try DirectoryReply.lookup(r.data)
        #expect(answer.rest == "")
        #expect(answer.capabilities.current == [servers.object(.tod).capability])
        // Beyond a server the rest of the path goes back to the caller.
        let deeper = try DirectoryReply.lookup(ask(DirectoryCommand.lookup, DirectoryRequest.name("sys/x/y")).data)
        #expect(deeper.rest == "x/y")
        #expect(ask(DirectoryCommand.lookup, DirectoryRequest.name("nope")).header.status == .notFound)
        #expect(ask(DirectoryCommand.lookup, [0x61]).header.status == .argumentBad)   // no NUL
    }

    @Test func columnsAndCapabilitiesAreChecked() {
        // Restricted (by the server itself) to no column: it may list, but a
        // lookup yields nothing.
        let o = servers.object(.host)
        var restrict = Header(capability: o.capability, command: StandardCommand.restrict)
        restrict.offset = 0x40
        var g = SeededGenerator(seed: 1)
        let r = servers.handle(RPCMessage(header: restrict), for: o, statistics: { "" }, wallClock: { (0, 0) }, random: &g)
        #expect(r.header.status == .ok)
        let noColumns = Capability(port: r.header.port, private: r.header.private)
        #expect(ask(DirectoryCommand.list, cap: noColumns).header.status == .ok)
        #expect(ask(DirectoryCommand.lookup, DirectoryRequest.name("sys"), cap: noColumns).header.status == .denied)
        var forged = o.capability
        forged.private = PrivatePart(object: forged.private.object, rights: .all, random: Port(hex: "010203040506")!)
        #expect(ask(DirectoryCommand.list, cap: forged).header.status == .capabilityBad)
        #expect(ask(DirectoryCommand.append, DirectoryRequest.name("x")).header.status == .denied)
        #expect(ask(DirectoryCommand.delete, DirectoryRequest.name("sys")).header.status == .denied)
    }
}
