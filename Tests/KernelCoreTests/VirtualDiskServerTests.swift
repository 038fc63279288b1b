// The vdisk server's rules over a disk in memory: every command's answer,
// the order of its checks (capability, right, arguments), restricted and
// forged capabilities, and data written then read back at several block
// sizes.
import AmoebaCore
import DiskProtocol
import Testing
@testable import KernelCore

final class MemoryDisk: BlockDevice {
    var blocks: [UInt8]
    var flushes = 0
    var failing = false
    let geometry = DiskGeometry(cylinders: 2, heads: 16, sectorsPerTrack: 64)
    var isReadOnly = false
    var blockCount: UInt64 { UInt64(blocks.count / 512) }

    init(kilobytes: Int) { blocks = [UInt8](repeating: 0, count: kilobytes * 1024) }

    func read(first: UInt64, into buffer: inout [UInt8]) -> DeviceStatus {
        if failing { return .ioError }
        let at = Int(first) * 512
        buffer.replaceSubrange(0..<buffer.count, with: blocks[at..<at + buffer.count])
        return .ok
    }

    func write(first: UInt64, _ data: [UInt8]) -> DeviceStatus {
        if failing { return .ioError }
        let at = Int(first) * 512
        blocks.replaceSubrange(at..<at + data.count, with: data)
        return .ok
    }

    func flush() -> DeviceStatus { flushes += 1; return .ok }
}

private func port(_ b: UInt8) -> Port { Port(bytes: [b, 2, 3, 4, 5, 6])! }

private func makeServer(kilobytes: Int = 1024) -> (VirtualDiskServer<MemoryDisk>, MemoryDisk, Capability) {
    let disk = MemoryDisk(kilobytes: kilobytes)
    let s = VirtualDiskServer(number: 0, device: disk, getPort: port(1), random: port(7))
    return (s, disk, s.identity.capability)
}

private func call(_ s: VirtualDiskServer<MemoryDisk>, _ cap: Capability, _ command: UInt16,
                  size: UInt16 = 0, offset: Int32 = 0, extra: UInt16 = 0, body: [UInt8] = []) -> Message {
    var h = Header(capability: cap, command: command)
    h.size = size; h.offset = offset; h.extra = extra
    return s.handle(h, body)
}

@Test func nameAndInfo() {
    let (s, _, cap) = makeServer(kilobytes: 65536)
    #expect(s.name == "vdisk:00")
    #expect(VirtualDiskServer<MemoryDisk>.twoHexDigits(0x1A) == "1A")
    #expect(s.identity.object.value == 0)
    let r = call(s, cap, StandardCommand.info)
    #expect(r.header.status == .ok)
    #expect(String(decoding: r.body, as: UTF8.self) == "@    65536 KB")
    #expect(r.header.size == 13)
    #expect(call(s, cap, StandardCommand.info, body: [1]).header.status == .argumentBad)
}

@Test func infoSizeGeometry() {
    let (s, _, cap) = makeServer()
    let info = call(s, cap, DiskCommand.info.rawValue)
    #expect(info.header.size == 12 && DiskPiece.decode(info.body) == [DiskPiece(unit: 0, firstBlock: 0, blockCount: 2048)])
    #expect(call(s, cap, DiskCommand.info.rawValue, body: [0]).header.status == .argumentBad)
    #expect(call(s, cap, DiskCommand.size.rawValue, size: 9).header.offset == 2048)
    #expect(call(s, cap, DiskCommand.size.rawValue, size: 12).header.offset == 256)
    #expect(call(s, cap, DiskCommand.size.rawValue, size: 21).header.offset == 0)
    #expect(call(s, cap, DiskCommand.size.rawValue, size: 8).header.status == .argumentBad)
    #expect(call(s, cap, DiskCommand.size.rawValue, size: 32).header.status == .argumentBad)
    let g = call(s, cap, DiskCommand.getGeometry.rawValue)
    #expect(g.header.size == 12 && DiskGeometry.decode(g.body) == DiskGeometry(cylinders: 2, heads: 16, sectorsPerTrack: 64))
}

@Test func writeThenReadBackAtSeveralBlockSizes() {
    let (s, disk, cap) = makeServer()
    let data = (0..<(8 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    let w = call(s, cap, DiskCommand.write.rawValue, size: 12, offset: 3, extra: 2, body: data)
    #expect(w.header.status == .ok && w.header.size == 0)
    #expect(disk.flushes == 1)   // acknowledged only once flushed
    #expect(Array(disk.blocks[12288..<20480]) == data)
    let r = call(s, cap, DiskCommand.read.rawValue, size: 9, offset: 24, extra: 16)
    #expect(r.header.status == .ok && r.header.size == 8192 && r.body == data)
    let r2 = call(s, cap, DiskCommand.read.rawValue, size: 13, offset: 1, extra: 1)
    #expect(r2.body[4096..<8192] == data[0..<4096])
    // The whole 29 KiB buffer, up to the last block.
    let full = call(s, cap, DiskCommand.read.rawValue, size: 9, offset: 2048 - 58, extra: 58)
    #expect(full.header.status == .ok && full.body.count == 29 * 1024)
}

@Test func badTransfersAreArgumentBad() {
    let (s, disk, cap) = makeServer()
    for (shift, first, count): (UInt16, Int32, UInt16) in [(9, 2048, 1), (9, 2047, 2), (9, -1, 1), (9, 0, 0), (8, 0, 1),
                                                          (32, 0, 1), (9, 0, 59), (0xFFFF, 0x7FFF_FFFF, 0xFFFF)] {
        #expect(call(s, cap, DiskCommand.read.rawValue, size: shift, offset: first, extra: count).header.status == .argumentBad)
        #expect(call(s, cap, DiskCommand.write.rawValue, size: shift, offset: first, extra: count,
                     body: [UInt8](repeating: 1, count: 512)).header.status == .argumentBad)
    }
    // Data that does not match the blocks named.
    #expect(call(s, cap, DiskCommand.write.rawValue, size: 9, offset: 0, extra: 2, body: [UInt8](repeating: 1, count: 512)).header.status == .argumentBad)
    #expect(call(s, cap, DiskCommand.write.rawValue, size: 9, offset: 0, extra: 1, body: []).header.status == .argumentBad)
    #expect(disk.blocks.allSatisfy { $0 == 0 })
    #expect(call(s, cap, 2299).header.status == .commandBad)
    #expect(call(s, cap, StandardCommand.destroy).header.status == .commandBad)
}

@Test func rightsAreChecked() throws {
    let (s, disk, cap) = makeServer()
    let readOnly = try Restriction.restrict(cap, to: DiskRights.read)
    let writeOnly = try Restriction.restrict(cap, to: DiskRights.write)
    let block = [UInt8](repeating: 0xAB, count: 512)
    #expect(call(s, readOnly, DiskCommand.read.rawValue, size: 9, offset: 0, extra: 1).header.status == .ok)
    #expect(call(s, readOnly, DiskCommand.write.rawValue, size: 9, offset: 0, extra: 1, body: block).header.status == .denied)
    #expect(call(s, readOnly, DiskCommand.control.rawValue, extra: 1).header.status == .denied)
    #expect(disk.blocks[0] == 0)
    for c in [DiskCommand.read, .info, .size, .getGeometry] {
        #expect(call(s, writeOnly, c.rawValue, size: 9, extra: 1).header.status == .denied)
    }
    #expect(call(s, writeOnly, StandardCommand.info).header.status == .denied)
    #expect(call(s, writeOnly, DiskCommand.write.rawValue, size: 9, offset: 0, extra: 1, body: block).header.status == .ok)
    // Denied comes before the arguments are looked at, as in Amoeba.
    #expect(call(s, readOnly, DiskCommand.write.rawValue, size: 3, offset: -5, extra: 0).header.status == .denied)
    // With CTL: a virtio disk has nothing to eject or format.
    #expect(call(s, cap, DiskCommand.control.rawValue, extra: 1).header.status == .commandBad)
    // STD_RESTRICT through the server.
    let r = call(s, cap, StandardCommand.restrict, offset: Int32(DiskRights.read.rawValue))
    #expect(r.header.status == .ok && r.header.private == readOnly.private)
}

@Test func forgedCapabilitiesAreCapabilityBad() {
    let (s, _, cap) = makeServer()
    var forged = cap
    forged.private = PrivatePart(object: cap.private.object, rights: .all, random: port(8))
    var otherObject = cap
    otherObject.private = PrivatePart(object: ObjectNumber(1)!, rights: .all, random: port(7))
    var raised = (try? Restriction.restrict(cap, to: DiskRights.read)) ?? cap
    raised.private.rights = .all
    for c in [forged, otherObject, raised] {
        for command in [DiskCommand.read.rawValue, DiskCommand.write.rawValue, DiskCommand.info.rawValue, DiskCommand.size.rawValue,
                        DiskCommand.getGeometry.rawValue, DiskCommand.control.rawValue, StandardCommand.info, StandardCommand.restrict] {
            #expect(call(s, c, command, size: 9, extra: 1).header.status == .capabilityBad)
        }
    }
    // Amoeba's disk thread answers AGE and TOUCH without looking.
    #expect(call(s, forged, StandardCommand.touch).header.status == .ok)
}

@Test func deviceFailuresAndWriteProtection() {
    let (s, disk, cap) = makeServer()
    disk.failing = true
    #expect(call(s, cap, DiskCommand.read.rawValue, size: 9, offset: 0, extra: 1).header.status == .systemError)
    disk.failing = false
    disk.isReadOnly = true
    #expect(call(s, cap, DiskCommand.write.rawValue, size: 9, offset: 0, extra: 1,
                 body: [UInt8](repeating: 1, count: 512)).header.status == .writeProtected)
}

@Test func derivedPortsAreStableAndOneWay() {
    let host = ServiceIdentity(getPort: port(0x11), random: port(0x22), object: .node)
    let a = VirtualDiskServer<MemoryDisk>.derivedPorts(host: host, disk: 0)
    let b = VirtualDiskServer<MemoryDisk>.derivedPorts(host: host, disk: 0)
    #expect(a.getPort == b.getPort && a.random == b.random)
    #expect(a.getPort != host.getPort && a.random != host.random && a.getPort != a.random)
    #expect(a.getPort != host.putPort)
    #expect(VirtualDiskServer<MemoryDisk>.derivedPorts(host: host, disk: 1).getPort != a.getPort)
    let other = ServiceIdentity(getPort: port(0x12), random: port(0x22), object: .node)
    #expect(VirtualDiskServer<MemoryDisk>.derivedPorts(host: other, disk: 0).getPort != a.getPort)
}
