// The kernel directory and the core servers as pure request handlers.
import Testing
import AmoebaCore
@testable import KernelCore

private func identity(_ seed: UInt8) -> ServiceIdentity {
    ServiceIdentity(getPort: Port(bytes: [seed, 2, 3, 4, 5, 6])!, random: Port(bytes: [9, seed, 7, 6, 5, 4])!)
}

private func request(_ cap: Capability, _ command: UInt16, size: UInt16 = 0, offset: Int32 = 0, extra: UInt16 = 0,
                     body: [UInt8] = []) -> Message {
    var h = Header(capability: cap, command: command)
    h.size = size
    h.offset = offset
    h.extra = extra
    return Message(header: h, body: body)
}

private func text(_ m: Message) -> String { String(decoding: m.body, as: UTF8.self) }

@Test func directoryListsLooksUpAndInfos() throws {
    let dir = KernelDirectory(identity: identity(1))
    let tod = identity(2).capability
    try dir.add("tod", tod)
    #expect(throws: DirectoryError.exists) { try dir.add("tod", tod) }
    #expect(throws: DirectoryError.badName) { try dir.add("a/b", tod) }
    let info = dir.handle(request(dir.identity.capability, StandardCommand.info))
    #expect(info.header.status == .ok && text(info).hasPrefix("%"))
    let found = dir.handle(request(dir.identity.capability, DirectoryCommand.lookup, body: Array("tod".utf8) + [0]))
    #expect(found.header.status == .ok)
    let answer = try #require(DirectoryLayout.parseLookupReply(found.body))
    #expect(answer.rest == "" && answer.capability == tod)
    // A longer path: the rest goes back to the caller, as SOAP does.
    let deeper = dir.handle(request(dir.identity.capability, DirectoryCommand.lookup, body: Array("/tod/a/b".utf8) + [0]))
    #expect(DirectoryLayout.parseLookupReply(deeper.body)?.rest == "a/b")
    let missing = dir.handle(request(dir.identity.capability, DirectoryCommand.lookup, body: Array("nope".utf8)))
    #expect(missing.header.status == .notFound)
    let empty = dir.handle(request(dir.identity.capability, DirectoryCommand.lookup))
    #expect(empty.header.status == .argumentBad)
}

/// LIST in SOAP's layout, byte for byte: int16 columns, int16 rows, the
/// column names, then each row's name and a mask per column; paged by
/// `extra` when the caller's buffer is small.
@Test func directoryListIsInSoapLayout() throws {
    let dir = KernelDirectory(identity: identity(1))
    try dir.add("tod", identity(2).capability)
    try dir.add("sys", identity(3).capability)
    let list = dir.handle(request(dir.identity.capability, DirectoryCommand.list, size: 1000))
    #expect(list.header.status == .ok)
    #expect(list.header.extra == DirectoryLayout.noMoreRows)
    var expected: [UInt8] = [3, 0, 2, 0] + Array("owner".utf8) + [0] + Array("group".utf8) + [0] + Array("other".utf8) + [0]
    for name in ["tod", "sys"] { expected += Array(name.utf8) + [0] + [0xFF, 0, 0, 0, 0xFF, 0, 0, 0, 0xFF, 0, 0, 0] }
    #expect(list.body == expected)
    let page = dir.handle(request(dir.identity.capability, DirectoryCommand.list, size: 40))
    #expect(page.header.extra == 1)
    let rest = dir.handle(request(dir.identity.capability, DirectoryCommand.list, size: 1000, extra: 1))
    #expect(rest.body.count == 22 + 16)
    #expect(dir.handle(request(dir.identity.capability, DirectoryCommand.list, size: 10)).header.status == .overflow)
}

@Test func aDirectoryCapabilityWithoutColumnsLooksUpNothing() throws {
    let dir = KernelDirectory(identity: identity(1))
    try dir.add("tod", identity(2).capability)
    let r = dir.handle(request(dir.identity.capability, StandardCommand.restrict, offset: 0x40))
    let weaker = r.header.capability
    #expect(dir.handle(request(weaker, DirectoryCommand.lookup, body: Array("tod".utf8) + [0])).header.status == .denied)
    #expect(dir.handle(request(weaker, DirectoryCommand.list, size: 1000)).header.status == .ok)
}

@Test func forgedCapabilitiesAndUnknownCommandsAreRefused() {
    let dir = KernelDirectory(identity: identity(1))
    var forged = dir.identity.capability
    forged.private.check = Port(bytes: [1, 1, 1, 1, 1, 1])!
    #expect(dir.handle(request(forged, StandardCommand.info)).header.status == .capabilityBad)
    #expect(dir.handle(request(forged, DirectoryCommand.list)).header.status == .capabilityBad)
    #expect(dir.handle(request(dir.identity.capability, 9999)).header.status == .commandBad)
    #expect(dir.handle(request(dir.identity.capability, StandardCommand.copy)).header.status == .commandBad)
}

@Test func restrictGivesAWorkingWeakerCapability() {
    let tod = TimeServer(identity: identity(3)) { 1_700_000_000_123_456 }
    let reply = tod.handle(request(tod.identity.capability, StandardCommand.restrict, offset: 0x01))
    #expect(reply.header.status == .ok)
    let weaker = reply.header.capability
    #expect(weaker.private.rights == Rights(rawValue: 1))
    #expect(weaker.private.check != tod.identity.random)
    #expect(tod.handle(request(weaker, StandardCommand.info)).header.status == .ok)
}

@Test func timeServerGivesSecondsAndMilliseconds() {
    let tod = TimeServer(identity: identity(3)) { 1_700_000_000_123_456 }
    let r = tod.handle(request(tod.identity.capability, TimeCommand.getTime))
    #expect(r.header.status == .ok)
    #expect(r.header.offset == 1_700_000_000)
    #expect(r.header.size == 123)
}

@Test func randomServerFillsAndCaps() {
    var calls = 0
    let rnd = RandomServer(identity: identity(4)) { bytes in
        calls += 1
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
    }
    let r = rnd.handle(request(rnd.identity.capability, RandomCommand.getRandom, size: 32))
    #expect(r.header.status == .ok && r.body.count == 32 && r.header.size == 32 && calls == 1)
    let big = rnd.handle(request(rnd.identity.capability, RandomCommand.getRandom, size: 60000))
    #expect(big.body.count == RandomServer.maximum)
    #expect(text(rnd.handle(request(rnd.identity.capability, StandardCommand.info))).contains("random"))
}

@Test func systemServerKstatAndPrintbuf() {
    let sys = SystemServer(identity: identity(5),
                           reports: [.init(letter: "m", title: "memory", text: { "heap 42" })],
                           printBuffer: { Array("boot log".utf8) })
    #expect(text(sys.handle(request(sys.identity.capability, SystemCommand.kstat))) == "m memory\n")
    #expect(text(sys.handle(request(sys.identity.capability, SystemCommand.kstat, body: [0x6D]))) == "heap 42")
    #expect(sys.handle(request(sys.identity.capability, SystemCommand.kstat, body: [0x7A])).header.status == .argumentBad)
    #expect(text(sys.handle(request(sys.identity.capability, SystemCommand.printBuffer))) == "boot log")
}

@Test func ttyInfoStartsWithPlusAndWrites() {
    var out: [UInt8] = []
    let tty = TTYServer(identity: identity(6), name: "tty:00") { out += $0 }
    #expect(text(tty.handle(request(tty.identity.capability, StandardCommand.info))).hasPrefix("+"))
    let w = tty.handle(request(tty.identity.capability, TTYCommand.write, size: 5, body: Array("hello world".utf8)))
    #expect(w.header.status == .ok && w.header.size == 5)
    #expect(out == Array("hello".utf8))
}
