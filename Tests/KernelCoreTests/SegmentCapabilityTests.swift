// The segment service's pure logic: capabilities for in-core segments,
// how rights decide a mapping, counting mappings, and std commands.
import Testing
import AmoebaCore
@testable import KernelCore

private func service() -> SegmentService {
    var n: UInt8 = 0
    return SegmentService(identity: ServiceIdentity(getPort: Port(bytes: [7, 7, 7, 1, 2, 3])!, random: Port(bytes: [5, 4, 3, 2, 1, 9])!)) {
        n &+= 1
        return Port(bytes: [n, 0x11, 0x22, n, 0x33, 0x44])!
    }
}

private func created(_ s: SegmentService, _ size: UInt32) throws -> (Capability, InCoreSegment) {
    try s.create(size: size).get()
}

@Test func createGivesAnOwnerCapabilityOnTheServicePort() throws {
    let s = service()
    let (cap, seg) = try created(s, 5000)
    #expect(seg.size == 8192 && seg.mappings == 1)
    #expect(cap.port == s.identity.putPort)
    #expect(cap.private.rights == .all && cap.private.object.value == 1)
    let (cap2, _) = try created(s, 4096)
    #expect(cap2.private.object.value == 2 && cap2.private.check != cap.private.check)
    #expect(s.create(size: 0).map { _ in 0 } == .failure(.argumentBad))
    #expect(s.create(size: SegmentService.maximumSize + 1).map { _ in 0 } == .failure(.argumentBad))
}

@Test func forgedOrAlteredCapabilitiesAreCapBad() throws {
    let s = service()
    let (cap, _) = try created(s, 4096)
    var check = cap; check.private.check = check.private.check.replacing(byte: 0, with: check.private.check[0] ^ 1)
    var object = cap; object.private.object = ObjectNumber(9)!
    var port = cap; port.port = Port(bytes: [1, 2, 3, 4, 5, 6])!
    var rights = cap; rights.private.rights = SegmentRights.read   // claims fewer rights with the owner's check
    for bad in [check, object, port, rights] {
        #expect(s.map(bad, flags: 0).map { $0.object } == .failure(.capabilityBad))
    }
    // A request reaches the service by its port, so only the private part can be wrong there.
    for bad in [check, object, rights] {
        #expect(s.handle(Message(header: Header(capability: bad, command: StandardCommand.info))).header.status == .capabilityBad)
    }
    #expect(s.segments[1]?.mappings == 1)   // refusals count nothing
}

@Test func rightsDecideTheMapping() throws {
    let s = service()
    let (cap, seg) = try created(s, 4096)
    #expect(try s.map(cap, flags: 0).get() == MapDecision(object: seg.object, size: 4096, writable: true))
    #expect(try s.map(cap, flags: SegmentService.mapReadOnly).get().writable == false)
    var h = Header(capability: cap, command: StandardCommand.restrict)
    h.offset = Int32(SegmentRights.read.rawValue)
    let readOnly = s.handle(Message(header: h)).header.capability
    #expect(readOnly.private.rights == SegmentRights.read)
    #expect(try s.map(readOnly, flags: 0).get().writable == false)
    h.offset = 0
    let none = s.handle(Message(header: h)).header.capability
    #expect(s.map(none, flags: 0).map { $0.writable } == .failure(.denied))
    #expect(s.map(cap, flags: 2).map { $0.writable } == .failure(.argumentBad))
    #expect(s.segments[seg.object.value]?.mappings == 4)
}

@Test func theSegmentGoesWithItsLastMapping() throws {
    let s = service()
    let (cap, seg) = try created(s, 4096)
    _ = try s.map(cap, flags: 0).get()
    #expect(s.unmapped(seg.object) == false)
    #expect(s.unmapped(seg.object) == true)
    #expect(s.segments.isEmpty)
    #expect(s.map(cap, flags: 0).map { $0.writable } == .failure(.capabilityBad))
    #expect(s.unmapped(seg.object) == false)   // a stray release changes nothing
}

@Test func standardCommandsOnSegments() throws {
    let s = service()
    let (cap, _) = try created(s, 3 * 4096)
    let info = s.handle(Message(header: Header(capability: cap, command: StandardCommand.info)))
    #expect(info.header.status == .ok && String(decoding: info.body, as: UTF8.self) == "in-core segment, 12288 bytes")
    let status = s.handle(Message(header: Header(capability: cap, command: StandardCommand.status)))
    #expect(String(decoding: status.body, as: UTF8.self).contains("mapped 1 times"))
    #expect(s.handle(Message(header: Header(capability: cap, command: 4444))).header.status == .commandBad)
    let server = s.identity.capability
    let serverInfo = s.handle(Message(header: Header(capability: server, command: StandardCommand.info)))
    #expect(String(decoding: serverInfo.body, as: UTF8.self) == "process/segment server")
}

@Test func stackGuardPagesAndRemoval() throws {
    var t = SegmentTable()
    try t.add(SegmentDescriptor(kind: .data, base: 0x4000_0000, size: 0x2000, writable: true))
    let base = try #require(t.freeRange(size: 0x4000, below: 0x7000_0000))
    #expect(base == 0x4000_3000)   // one unmapped page above the data: the stack's guard
    try t.add(SegmentDescriptor(kind: .stack, base: base, size: 0x4000, writable: true))
    #expect(t.stackGuarded(by: base - 4) != nil)
    #expect(t.stackGuarded(by: base - 0x1001) == nil)
    #expect(t.stackGuarded(by: base) == nil)
    #expect(t.stackGuarded(by: 0x4000_1000) == nil)   // below a data segment is no guard
    #expect(t.remove(base: base)?.kind == .stack)
    #expect(t.remove(base: base) == nil)
    #expect(t.stackGuarded(by: base - 4) == nil)
}
