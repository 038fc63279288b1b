// Where the kernel's and amunixd's copies of a node's own servers used to
// answer differently, byte for byte: now one body answers, the same on a
// kernel-shaped and a host-shaped machine, as Amoeba 5.3 does (the source
// of each fact is named at the test).

import AmoebaCore
import DirectoryProtocol
import NodeServers
import Testing

@Suite struct ResolvedDisagreementTests {
    let dir = Identities.directory.capability
    let sys = Identities.system.capability
    let tod = Identities.time.capability
    let rnd = Identities.random.capability

    /// The kernel directory is SOAP's own code (direct.c calls sp_trans),
    /// and sp_trans has no STD_AGE or STD_STATUS: STD_COMBAD (the kernel
    /// copy said OK to AGE).
    @Test func directoryAgeAndStatusAreUnknownCommands() {
        for command in [StandardCommand.age, StandardCommand.status, StandardCommand.copy] {
            let r = ask(.directory, request(dir, command))
            #expect(r?.header == Header.status(.commandBad) && r?.data == [])
        }
    }

    /// sp_dodestroy: the delete right is needed (STD_DENIED without it,
    /// as amunixd said), and then a directory with rows is SP_NOTEMPTY
    /// (the kernel copy said STD_COMBAD).
    @Test func destroyingTheDirectory() {
        for command in [StandardCommand.destroy, DirectoryCommand.discard] {
            #expect(ask(.directory, request(dir, command))?.header == Header.status(.directoryNotEmpty))
            #expect(ask(.directory, request(restricted(dir, 0x7F), command))?.header == Header.status(.denied))
        }
        // The other servers know no STD_DESTROY (amunixd said STD_DENIED).
        for (kind, cap) in [(NodeServerKind.system, sys), (.time, tod), (.random, rnd)] {
            #expect(ask(kind, request(cap, StandardCommand.destroy))?.header == Header.status(.commandBad))
        }
    }

    /// An empty path reaches the directory itself, as our SOAP server
    /// answers (the kernel copy said STD_ARGBAD; Amoeba's clients never
    /// send one, and sp_dolookup leaves the answer undefined).
    @Test func lookupOfAnEmptyPathIsTheDirectoryItself() {
        let expected: [UInt8] = [0, 1, 0, 1, 0] + dir.bytes + [1, 0]
        for path in ["", "/", "///"] {
            let r = ask(.directory, request(dir, DirectoryCommand.lookup), DirectoryRequest.name(path))
            #expect(r?.header.status == .ok)
            #expect(r?.header.size == UInt16(expected.count))
            #expect(r?.data == expected)
        }
    }

    /// buf_get_string needs the NUL: a path without one is STD_ARGBAD (the
    /// kernel copy read to the end of the buffer).
    @Test func aPathWithoutItsNulIsRefused() {
        #expect(ask(.directory, request(dir, DirectoryCommand.lookup), Array("sys".utf8))?.header
                == Header.status(.argumentBad))
        #expect(ask(.directory, request(dir, DirectoryCommand.lookup), [])?.header == Header.status(.argumentBad))
    }

    /// MAX_RANDOM is 1024 (random.h): the kernel copy gave 4096, amunixd
    /// 30000.
    @Test func getRandomGivesAtMostMaxRandom() {
        let both = askBoth(.random, request(rnd, RandomCommand.getRandom, size: 30000))
        for r in [both.kernel, both.host] {
            #expect(r.header.status == .ok && r.header.size == 1024 && r.data.count == 1024 && r.header.extra == 0)
        }
        #expect(RandomServer.maximum == 1024)
        // FSQ_READ reads the same bytes, so the server reads like a file.
        #expect(ask(.random, request(rnd, RandomCommand.read, size: 0))?.header.size == 0)
        #expect(askBoth(.random, request(rnd, RandomCommand.read, size: 10)).kernel.data.count == 10)
    }

    /// Row names are SOAP names: up to NAME_MAX (255) bytes (the kernel
    /// copy stopped at 64).
    @Test func namesUpToNameMax() throws {
        let d = NodeDirectory(identity: Identities.directory)
        try d.add(String(repeating: "n", count: 255), tod)
        try d.add(String(repeating: "m", count: 65), tod)
        #expect(throws: NodeDirectoryError.badName) { try d.add(String(repeating: "o", count: 256), tod) }
        #expect(throws: NodeDirectoryError.badName) { try d.add("a b", tod) }
        #expect(throws: NodeDirectoryError.badName) { try d.add("", tod) }
    }

    /// The std_info strings are Amoeba's (syssvr.c, todtask.c, rndtask.c,
    /// sp_doinfo under KERNEL): amunixd said "sys server on <host>" and so
    /// on, the kernel "time-of-day server" and "% kernel directory".
    @Test func infoStrings() {
        #expect(text(ask(.system, request(sys, StandardCommand.info))) == "system server")
        #expect(text(ask(.time, request(tod, StandardCommand.info))) == "TOD server")
        #expect(text(ask(.random, request(rnd, StandardCommand.info))) == "random number server")
        #expect(text(ask(.directory, request(dir, StandardCommand.info))) == "%dw1234")
        #expect(text(ask(.directory, request(restricted(dir, 0x05), StandardCommand.info))) == "%--1-3-")
        let info = ask(.system, request(sys, StandardCommand.info))
        #expect(info?.header.size == 13 && info?.header.status == .ok)
        // Object 0 of the directory server answers for the server.
        var generic = dir
        generic.private = PrivatePart(object: .server, rights: .none, check: .null)
        #expect(text(ask(.directory, request(generic, StandardCommand.info))) == "soap generic capability")
    }

    /// A non-ROM sys answers no standard command but STD_INFO (syssvr.c;
    /// amunixd restricted and touched, the kernel copy too). STD_STATUS is
    /// kept as the one addition: it is how std_status reads a node.
    @Test func sysStandardCommands() {
        for command in [StandardCommand.restrict, StandardCommand.touch, StandardCommand.age] {
            #expect(ask(.system, request(sys, command, offset: 1))?.header == Header.status(.commandBad))
        }
        #expect(text(ask(.system, request(sys, StandardCommand.status))) == "heap 42")
    }

    /// tod and random accept STD_AGE and STD_TOUCH and restrict (todtask.c,
    /// rndtask.c); amunixd said STD_COMBAD to AGE.
    @Test func todAndRandomStandardCommands() {
        for (kind, cap) in [(NodeServerKind.time, tod), (.random, rnd)] {
            #expect(ask(kind, request(cap, StandardCommand.age))?.header == Header.status(.ok))
            #expect(ask(kind, request(cap, StandardCommand.touch))?.header == Header.status(.ok))
            #expect(ask(kind, request(cap, StandardCommand.status))?.header == Header.status(.commandBad))
            let r = ask(kind, request(cap, StandardCommand.restrict, offset: 0x03))
            #expect(r?.header.status == .ok)
            #expect(r?.header.capability == restricted(cap, 0x03))
        }
    }

    /// KSTAT's letter is in `extra`, and '?' lists "<letter>  <help>"
    /// (syssvr.c); the kernel copy read a letter from the data, amunixd
    /// ignored it.
    @Test func kstatTakesItsLetterFromExtra() {
        #expect(text(ask(.system, request(sys, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "?")))))
                == "m  memory\nx  secret\n")
        #expect(text(ask(.system, request(sys, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "m"))))) == "heap 42")
        #expect(ask(.system, request(sys, SystemCommand.kstat))?.header == Header.status(.argumentBad))
        #expect(ask(.system, request(sys, SystemCommand.kstat), [0x6D])?.header == Header.status(.argumentBad))
        // A report may need rights the capability lacks.
        let weak = restricted(sys, 0x01)
        #expect(ask(.system, request(weak, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "x"))))?.header
                == Header.status(.denied))
    }

    /// sp_dolist and sp_dolookup acquire the directory first: a capability
    /// selecting no column is STD_DENIED even for LIST (both copies let it
    /// list).
    @Test func aCapabilityWithoutColumnsReadsNothing() {
        let noColumns = restricted(dir, 0xC0)
        #expect(ask(.directory, request(noColumns, DirectoryCommand.list, size: 1000))?.header == Header.status(.denied))
        #expect(ask(.directory, request(noColumns, DirectoryCommand.lookup), DirectoryRequest.name("sys"))?.header
                == Header.status(.denied))
        #expect(ask(.directory, request(noColumns, StandardCommand.restrict, offset: 1))?.header
                == Header.status(.denied))
    }

    /// The kernel directory's buffer is SP_BUFSIZE: a LIST asking for more
    /// is STD_ARGBAD (sp_dolist).
    @Test func listBufferAtMostSpBufsize() {
        #expect(ask(.directory, request(dir, DirectoryCommand.list, size: 8192))?.header.status == .ok)
        #expect(ask(.directory, request(dir, DirectoryCommand.list, size: 8193))?.header == Header.status(.argumentBad))
    }

    /// dirappend enters a row with the masks {0xFF, 0, 0}: through the
    /// group or other column a lookup yields the capability with no rights
    /// (both copies gave all rights in every column).
    @Test func rowsGiveRightsOnlyToTheOwnerColumn() throws {
        let viaOwner = ask(.directory, request(dir, DirectoryCommand.lookup), DirectoryRequest.name("tod"))
        #expect(try DirectoryReply.lookup(#require(viaOwner).data).capabilities.current == [tod])
        let viaOther = ask(.directory, request(restricted(dir, 0x04), DirectoryCommand.lookup), DirectoryRequest.name("tod"))
        #expect(try DirectoryReply.lookup(#require(viaOther).data).capabilities.current == [restricted(tod, 0)])
    }

    /// PRINTBUF needs the read right and answers the console log with
    /// `offset` at the next write position; a machine that keeps no log
    /// answers an empty one at 0, as syssvr.c does without a print buffer
    /// (amunixd said STD_COMBAD).
    @Test func printBuffer() {
        let both = askBoth(.system, request(sys, SystemCommand.printBuffer))
        #expect(both.kernel.header.status == .ok && both.kernel.data == Array("boot log".utf8))
        #expect(both.kernel.header.offset == 8 && both.kernel.header.size == 8)
        #expect(both.host.header == Header.status(.ok) && both.host.data == [])
        #expect(ask(.system, request(restricted(sys, 0x02), SystemCommand.printBuffer))?.header == Header.status(.denied))
    }
}
