// sys, tod and random as pure request handlers over a machine handed in:
// the commands each answers, the capability checks, and the identities.

import AmoebaCore
import NodeServers
import Testing

@Suite struct NodeServerTests {
    @Test func todGivesSecondsAndMilliseconds() {
        let both = askBoth(.time, request(Identities.time.capability, TimeCommand.getTime))
        for r in [both.kernel, both.host] {
            #expect(r.header.status == .ok && r.header.offset == 1_700_000_000 && r.header.size == 123)
            #expect(r.header.extra == 0 && r.data.isEmpty)
        }
        #expect(WallClock(microsecondsSince1970: 1_700_000_000_999_999) == WallClock(seconds: 1_700_000_000, milliseconds: 999))
    }

    @Test func restrictGivesAWorkingWeakerCapability() throws {
        let tod = Identities.time.capability
        let reply = try #require(ask(.time, request(tod, StandardCommand.restrict, offset: 0x01)))
        let weaker = reply.header.capability
        #expect(weaker.port == tod.port)
        #expect(weaker.private.rights == Rights(rawValue: 1))
        #expect(weaker.private.check != Identities.time.random)
        #expect(ask(.time, request(weaker, TimeCommand.getTime))?.header.status == .ok)
        #expect(ask(.time, request(weaker, StandardCommand.restrict, offset: 0xFF))?.header.private.rights == Rights(rawValue: 1))
    }

    @Test func randomFillsFromTheMachine() {
        let rnd = Identities.random.capability
        let set = Identities.set()
        var machine = KernelFlavour()
        let a = set.handle(.random, request(rnd, RandomCommand.getRandom, size: 32), [], host: &machine)
        let b = set.handle(.random, request(rnd, RandomCommand.getRandom, size: 32), [], host: &machine)
        #expect(a.header.status == .ok && a.data.count == 32 && a.header.size == 32)
        #expect(a.data != b.data)
        #expect(Set(a.data).count > 16)
    }

    @Test func forgedOrForeignCapabilitiesAreRefused() {
        for kind in [NodeServerKind.system, .time, .random] {
            var cap = Identities.set().identity(kind).capability
            cap.private.check = cap.private.check.replacing(byte: 0, with: cap.private.check[0] ^ 1)
            #expect(ask(kind, request(cap, StandardCommand.info))?.header == Header.status(.capabilityBad))
            // Another server's capability is not this one's.
            #expect(ask(kind, request(Identities.directory.capability, StandardCommand.info))?.header
                    == Header.status(.capabilityBad))
            #expect(ask(kind, request(Identities.set().identity(kind).capability, 9999))?.header
                    == Header.status(.commandBad))
        }
        // sys checks its object number: object 0 is not sys (syssvr.c).
        var zero = Identities.system.capability
        zero.private = PrivatePart(object: .server, rights: .all, random: Identities.system.random)
        #expect(ask(.system, request(zero, StandardCommand.info))?.header == Header.status(.capabilityBad))
    }

    @Test func kstatAndPrintBufferAreCappedAtMaxTrans() {
        struct Chatty: NodeHost {
            func wallClock() -> WallClock { WallClock(seconds: 0, milliseconds: 0) }
            mutating func fillRandom(_ bytes: inout [UInt8]) {}
            func statisticsReports() -> [StatisticsReport] { [StatisticsReport(letter: "z", help: "lots")] }
            func statistics(_ letter: UInt8) -> String { String(repeating: "x", count: 40000) }
            func statusText() -> String { "" }
            func printBuffer() -> [UInt8]? { Array(0..<40000).map { UInt8(truncatingIfNeeded: $0) } }
        }
        let sys = SystemServer(identity: Identities.system)
        var host = Chatty()
        let k = sys.handle(request(Identities.system.capability, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "z"))), [],
                           host: &host)
        #expect(k.data.count == 30000 && k.header.size == 30000)
        let p = sys.handle(request(Identities.system.capability, SystemCommand.printBuffer), [], host: &host)
        #expect(p.data.count == 30000 && p.header.offset == 30000 && p.data.last == UInt8(truncatingIfNeeded: 39999))
    }

    @Test func identities() {
        let id = Identities.directory
        #expect(id.putPort == id.getPort.putPort)
        #expect(id.capability.private.object == .node && id.capability.private.rights == .all)
        #expect(id.rights(of: Header(capability: id.capability, command: 0)) == .all)
        #expect(id.rights(of: Header(capability: restricted(id.capability, 3), command: 0)) == Rights(rawValue: 3))
        #expect(ServiceIdentity(getPort: id.getPort, random: id.random).object == .server)
        let set = Identities.set()
        for kind in NodeServerKind.allCases { #expect(set.identity(kind).getPort != Identities.directory.getPort || kind == .directory) }
        #expect(NodeServerKind.allCases.compactMap(\.entryName) == ["sys", "tod", "random"])
    }
}
