// The host's own servers, as pure request handlers: capability checks,
// standard commands, and the kernel-server commands of sys, tod, random.

import AmoebaCore
import AmunixDaemon
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
