// Segment tables (user pointer validation) and the ELF reader.
import Testing
@testable import KernelCore

@Test func userRangesMustLieInsideOneSegment() throws {
    var t = SegmentTable()
    try t.add(SegmentDescriptor(kind: .text, base: 0x4000_0000, size: 0x2000, writable: false))
    try t.add(SegmentDescriptor(kind: .data, base: 0x4000_3000, size: 0x1000, writable: true))
    #expect(try t.check(address: 0x4000_0010, length: 16, write: false).kind == .text)
    #expect(throws: SegmentError.readOnly) { try t.check(address: 0x4000_0010, length: 16, write: true) }
    #expect(try t.check(address: 0x4000_3000, length: 0x1000, write: true).kind == .data)
    #expect(throws: SegmentError.notMapped) { try t.check(address: 0x4000_3000, length: 0x1001, write: true) }
    #expect(throws: SegmentError.notMapped) { try t.check(address: 0x4000_1FF0, length: 0x20, write: false) }
    #expect(throws: SegmentError.notMapped) { try t.check(address: 0x0010_0000, length: 4, write: false) }
    #expect(throws: SegmentError.notMapped) { try t.check(address: 0xFFFF_FFF0, length: 0xFFFF_FFFF, write: false) }
}

@Test func segmentsMayNotOverlapOrLeaveUserSpace() throws {
    var t = SegmentTable()
    try t.add(SegmentDescriptor(kind: .data, base: 0x4000_0000, size: 0x1000, writable: true))
    #expect(throws: SegmentError.overlaps) { try t.add(SegmentDescriptor(kind: .data, base: 0x4000_0800, size: 0x1000, writable: true)) }
    #expect(throws: SegmentError.outsideUserSpace) { try t.add(SegmentDescriptor(kind: .data, base: 0x1000, size: 0x1000, writable: true)) }
    #expect(throws: SegmentError.outsideUserSpace) { try t.add(SegmentDescriptor(kind: .data, base: 0x7FFF_F000, size: 0x2000, writable: true)) }
    #expect(throws: SegmentError.empty) { try t.add(SegmentDescriptor(kind: .data, base: 0x5000_0000, size: 0, writable: true)) }
    let free = try #require(t.freeRange(size: 0x4000, below: 0x7000_0000))
    #expect(free >= 0x4000_2000 && free % 0x1000 == 0)
}

/// A minimal i386 executable image with the given PT_LOAD entries.
func elf(entry: UInt32, loads: [(vaddr: UInt32, offset: UInt32, filesz: UInt32, memsz: UInt32, flags: UInt32)], fileSize: Int = 0x2000) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: max(fileSize, 52 + 32 * loads.count))
    func put16(_ at: Int, _ v: UInt16) { b[at] = UInt8(v & 0xFF); b[at + 1] = UInt8(v >> 8) }
    func put32(_ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
    b[0] = 0x7F; b[1] = 0x45; b[2] = 0x4C; b[3] = 0x46; b[4] = 1; b[5] = 1; b[6] = 1
    put16(16, 2); put16(18, 3); put32(20, 1); put32(24, entry); put32(28, 52)
    put16(40, 52); put16(42, 32); put16(44, UInt16(loads.count))
    for (i, l) in loads.enumerated() {
        let at = 52 + 32 * i
        put32(at, 1); put32(at + 4, l.offset); put32(at + 8, l.vaddr); put32(at + 12, l.vaddr)
        put32(at + 16, l.filesz); put32(at + 20, l.memsz); put32(at + 24, l.flags); put32(at + 28, 0x1000)
    }
    return b
}

@Test func readsAValidExecutable() throws {
    let bytes = elf(entry: 0x4000_0010, loads: [(0x4000_0000, 0x100, 0x800, 0x800, 5), (0x4000_1000, 0x900, 0x100, 0x3000, 6)])
    let image = try bytes.withUnsafeBytes { (b) throws(ELFError) -> ELFImage in try ELFImage(b) }
    #expect(image.entry == 0x4000_0010)
    #expect(image.segments.count == 2)
    #expect(image.segments[0].executable && !image.segments[0].writable)
    #expect(image.segments[1].writable && image.segments[1].memorySize == 0x3000)
}

@Test func refusesBadExecutables() {
    func parse(_ b: [UInt8]) -> ELFError? {
        b.withUnsafeBytes { raw in
            do throws(ELFError) { _ = try ELFImage(raw); return nil } catch { return error }
        }
    }
    #expect(parse([0x7F, 0x45]) == .truncated)
    var notElf = elf(entry: 0x4000_0000, loads: [(0x4000_0000, 0, 0x10, 0x10, 5)]); notElf[1] = 0
    #expect(parse(notElf) == .notELF)
    // A segment reading past the end of the file.
    #expect(parse(elf(entry: 0x4000_0000, loads: [(0x4000_0000, 0x1F00, 0x800, 0x800, 5)])) == .badSegment)
    // A segment in kernel space.
    #expect(parse(elf(entry: 0x0010_0000, loads: [(0x0010_0000, 0, 0x10, 0x10, 5)])) == .badSegment)
    // An entry point outside any executable segment.
    #expect(parse(elf(entry: 0x5000_0000, loads: [(0x4000_0000, 0, 0x10, 0x10, 5)])) == .badSegment)
    // File size larger than memory size.
    #expect(parse(elf(entry: 0x4000_0000, loads: [(0x4000_0000, 0, 0x20, 0x10, 5)])) == .badSegment)
    // Program headers claimed past the end.
    var lying = elf(entry: 0x4000_0000, loads: [(0x4000_0000, 0, 0x10, 0x10, 5)], fileSize: 0)
    lying[44] = 60
    #expect(parse(lying) == .truncated)
}
