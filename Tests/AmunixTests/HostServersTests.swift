// The host's own servers through amunixd's adapter: capability checks,
// standard commands, and the kernel-server commands of sys, tod, random,
// answered by the same NodeServers body as on a kernel node (so with
// Amoeba's answers: see NodeServersTests for the byte-for-byte ones).

import AmoebaCore
import AmunixDaemon
import DirectoryProtocol
import NodeServers
import RPC
import Testing

@Suite struct HostServersTests {
    let servers: HostServers

    init() {
        var g = SeededGenerator(seed: 3)
        servers = HostServers(hostName: "h1", using: &g)
    }

    func ask(_ kind: HostedKind, _ command: UInt16, cap: Capability? = nil, offset: Int32 = 0, size: UInt16 = 0,
             extra: UInt16 = 0) -> RPCMessage {
        let o = servers.object(kind)
        var h = Header(capability: cap ?? o.capability, command: command)
        h.offset = offset
        h.size = size
        h.extra = extra
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
        // As in Amoeba: the host directory and sys are object 1.
        #expect(servers.object(.host).capability.private.object == .node)
        #expect(servers.object(.sys).capability.private.object == .node)
        #expect(servers.object(.tod).capability.private.object == .server)
    }

    @Test func info() {
        #expect(String(decoding: ask(.host, StandardCommand.info).data, as: UTF8.self) == "%dw1234")
        #expect(String(decoding: ask(.sys, StandardCommand.info).data, as: UTF8.self) == "system server")
        #expect(String(decoding: ask(.tod, StandardCommand.info).data, as: UTF8.self) == "TOD server")
        #expect(String(decoding: ask(.random, StandardCommand.info).data, as: UTF8.self) == "random number server")
    }

    @Test func statusOfSysIsTheStatistics() {
        let r = ask(.sys, StandardCommand.status)
        #expect(r.header.status == .ok)
        #expect(String(decoding: r.data, as: UTF8.self) == "stats here")
        // And KSTAT offers them as one report.
        let list = ask(.sys, HostCommand.kernelStatistics, extra: UInt16(UInt8(ascii: "?")))
        #expect(String(decoding: list.data, as: UTF8.self) == "n  network: FLIP, RPC and links\n")
        let n = ask(.sys, HostCommand.kernelStatistics, extra: UInt16(UInt8(ascii: "n")))
        #expect(String(decoding: n.data, as: UTF8.self) == "stats here")
        // A host keeps no console log: PRINTBUF is empty.
        let log = ask(.sys, HostCommand.printBuffer)
        #expect(log.header.status == .ok && log.data.isEmpty && log.header.offset == 0)
        // The host directory has no STD_STATUS (sp_trans).
        #expect(ask(.host, StandardCommand.status).header.status == .commandBad)
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

    /// Issue 10, item 10: the rights bits count. A sys capability without
    /// READ may ask what the server is, not read its counters.
    @Test func statusNeedsTheReadRight() throws {
        let none = try Restriction.restrict(servers.object(.sys).capability, to: Rights(rawValue: 0))
        #expect(ask(.sys, StandardCommand.status, cap: none).header.status == .denied)
        #expect(ask(.sys, StandardCommand.info, cap: none).header.status == .ok)
        #expect(ask(.sys, StandardCommand.status).header.status == .ok)
    }

    @Test func restrictThenUse() throws {
        let r = ask(.tod, StandardCommand.restrict, offset: 0x0f)
        #expect(r.header.status == .ok)
        let restricted = Capability(port: r.header.port, private: r.header.private)
        #expect(restricted.private.rights.rawValue == 0x0f)
        // The server's answer is what local restriction computes.
        #expect(restricted == (try Restriction.restrict(servers.object(.tod).capability, to: Rights(rawValue: 0x0f))))
        #expect(ask(.tod, StandardCommand.info, cap: restricted).header.status == .ok)
        // Restricting further only removes rights.
        let r2 = ask(.tod, StandardCommand.restrict, cap: restricted, offset: 0xf3)
        #expect(r2.header.private.rights.rawValue == 0x03)
        // sys restricts client-side only, as a non-ROM Amoeba kernel's.
        #expect(ask(.sys, StandardCommand.restrict, offset: 0x0f).header.status == .commandBad)
    }

    @Test func destroyIsUnknownTouchIsFine() {
        #expect(ask(.sys, StandardCommand.destroy).header.status == .commandBad)
        #expect(ask(.random, StandardCommand.touch).header.status == .ok)
        #expect(ask(.tod, StandardCommand.age).header.status == .ok)
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
        #expect(ask(.random, HostCommand.getRandom, size: 65535).data.count == RandomServer.maximum)
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

    func ask(_ command: UInt16, _ data: [UInt8] = [], cap: Capability? = nil,
             size: UInt16 = UInt16(DirectoryLimits.clientBuffer), extra: UInt16 = 0) -> RPCMessage {
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
        // More than SP_BUFSIZE is more than the directory's buffer.
        #expect(ask(DirectoryCommand.list, size: 30000).header.status == .argumentBad)
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
        // Restricted (by the server itself) to no column: as in SOAP, such a
        // capability may neither list nor look up.
        let o = servers.object(.host)
        var restrict = Header(capability: o.capability, command: StandardCommand.restrict)
        restrict.offset = 0x41
        var g = SeededGenerator(seed: 1)
        let r = servers.handle(RPCMessage(header: restrict), for: o, statistics: { "" }, wallClock: { (0, 0) }, random: &g)
        #expect(r.header.status == .ok)
        let ownerOnly = Capability(port: r.header.port, private: r.header.private)
        let noColumns = (try? Restriction.restrict(o.capability, to: Rights(rawValue: 0x40)))!
        #expect(ask(DirectoryCommand.list, cap: ownerOnly).header.status == .ok)
        #expect(ask(DirectoryCommand.list, cap: noColumns).header.status == .denied)
        #expect(ask(DirectoryCommand.lookup, DirectoryRequest.name("sys"), cap: noColumns).header.status == .denied)
        var forged = o.capability
        forged.private = PrivatePart(object: forged.private.object, rights: .all, random: Port(hex: "010203040506")!)
        #expect(ask(DirectoryCommand.list, cap: forged).header.status == .capabilityBad)
        #expect(ask(DirectoryCommand.append, DirectoryRequest.name("x")).header.status == .denied)
        #expect(ask(DirectoryCommand.delete, DirectoryRequest.name("sys")).header.status == .denied)
    }
}
