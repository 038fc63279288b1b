// The virtual disk wire format against Amoeba 5.3's numbers and layouts
// (AMOEBA-FACTS §3): command numbers, rights, the transfer rules, DS_INFO
// and DS_GETGEOMETRY records, the std_info line.
import AmoebaCore
import DiskProtocol
import Testing

@Test func commandNumbersAndRightsAreAmoebas() {
    #expect(DiskCommand.info.rawValue == 2201)
    #expect(DiskCommand.read.rawValue == 2202)
    #expect(DiskCommand.size.rawValue == 2203)
    #expect(DiskCommand.write.rawValue == 2204)
    #expect(DiskCommand.getGeometry.rawValue == 2205)
    #expect(DiskCommand.control.rawValue == 2206)
    #expect(DiskRights.read.rawValue == 0x02 && DiskRights.write.rawValue == 0x04 && DiskRights.control.rawValue == 0x08)
    #expect(DiskControl.eject.rawValue == 1 && DiskControl.format.rawValue == 2)
    #expect(DiskLimits.requestBufferSize == 29 * 1024)
}

@Test func transferRidesInSizeOffsetExtra() {
    let cap = Capability(port: Port(bytes: [1, 2, 3, 4, 5, 6])!, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, random: Port(bytes: [9, 9, 9, 9, 9, 9])!))
    let h = DiskTransfer(shift: 10, first: 7, count: 3).header(cap, .read)
    #expect(h.command == 2202 && h.size == 10 && h.offset == 7 && h.extra == 3)
    #expect(DiskTransfer(header: h) == DiskTransfer(shift: 10, first: 7, count: 3))
}

@Test func physicalRangeScalesAndRefuses() {
    let disk: UInt64 = 2048   // 1 MiB
    func range(_ s: UInt16, _ f: Int32, _ n: UInt16) -> Result<(first: UInt64, count: Int), ErrorCode> {
        DiskTransfer(shift: s, first: f, count: n).physicalRange(diskBlocks: disk)
    }
    if case .success(let r) = range(9, 5, 2) { #expect(r.first == 5 && r.count == 2) } else { Issue.record("512-byte blocks") }
    if case .success(let r) = range(12, 3, 7) { #expect(r.first == 24 && r.count == 56) } else { Issue.record("4 KiB blocks") }
    if case .success(let r) = range(9, 2048 - 58, 58) { #expect(r.first == 1990 && r.count == 58) } else { Issue.record("up to the end, 29 KiB") }
    let refused: [(UInt16, Int32, UInt16)] = [
        (8, 0, 1), (32, 0, 1), (0xFFFF, 0, 1),   // block size out of 9...31
        (9, 0, 0),                               // no blocks
        (9, -1, 1), (9, Int32.min, 1),           // before the start
        (9, 2048, 1), (9, 2047, 2), (12, 256, 1), (31, 1, 1), (9, Int32.max, 1),   // past the end
        (9, 0, 59), (10, 0, 30), (31, 0, 1), (9, 0, 0xFFFF),   // over 29 KiB
    ]
    for (s, f, n) in refused {
        if case .failure(let e) = range(s, f, n) { #expect(e == .argumentBad) } else { Issue.record("accepted shift \(s) first \(f) count \(n)") }
    }
}

@Test func splitCoversTheRangeIn29KiBPieces() {
    let pieces = DiskTransfer.split(shift: 9, first: 10, count: 130)
    #expect(pieces.map(\.count) == [58, 58, 14])
    #expect(pieces.map(\.first) == [10, 68, 126])
    #expect(DiskTransfer.split(shift: 12, first: 0, count: 8).map(\.count) == [7, 1])
    #expect(DiskTransfer.split(shift: 9, first: 0, count: 0).isEmpty)
    #expect(DiskTransfer.split(shift: 40, first: 0, count: 1).isEmpty)
    #expect(DiskTransfer.split(shift: 14, first: 0, count: 3).map(\.count) == [1, 1, 1])
    #expect(DiskTransfer.split(shift: 15, first: 0, count: 1).isEmpty)   // one block is over 29 KiB
}

@Test func infoRecordsAndGeometryAreLittleEndian() {
    let bytes = DiskPiece.encode([DiskPiece(unit: 0, firstBlock: 1, blockCount: 0x0102_0304)])
    #expect(bytes == [0, 0, 0, 0, 1, 0, 0, 0, 4, 3, 2, 1])
    #expect(DiskPiece.decode(bytes) == [DiskPiece(unit: 0, firstBlock: 1, blockCount: 0x0102_0304)])
    #expect(DiskPiece.decode(Array(bytes.dropLast())) == nil)
    let g = DiskGeometry(cylinders: 130, heads: 16, sectorsPerTrack: 63)
    #expect(g.encoded == [0x00, 0x7E, 0x00, 0x02, 130, 0, 0, 0, 16, 0, 63, 0])
    #expect(DiskGeometry.decode(g.encoded) == g)
    #expect(DiskGeometry.decode([1, 2, 3]) == nil)
}

@Test func infoLineIsAmoebasFormat() {
    #expect(DiskInfoText.line(kilobytes: 65536) == "@    65536 KB")
    #expect(DiskInfoText.line(kilobytes: 0) == "@        0 KB")
    #expect(DiskInfoText.line(kilobytes: 123_456_789) == "@ 123456789 KB")
}
