// The boot memory map and the physical page allocator.
import Testing
@testable import KernelCore

/// A multiboot memory map as a loader would lay it out.
func mapBytes(_ entries: [(UInt64, UInt64, UInt32)]) -> [UInt8] {
    var b: [UInt8] = []
    func put32(_ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    for (base, length, type) in entries {
        put32(20)
        put32(UInt32(truncatingIfNeeded: base)); put32(UInt32(base >> 32))
        put32(UInt32(truncatingIfNeeded: length)); put32(UInt32(length >> 32))
        put32(type)
    }
    return b
}

@Test func parsesAMultibootMap() {
    let bytes = mapBytes([(0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0x100000, 0x3EE0000, 1), (0xFFFC0000, 0x40000, 2)])
    let regions = bytes.withUnsafeBytes { MemoryMap.parse($0) }
    #expect(regions.count == 4)
    #expect(regions[2] == PhysicalRegion(base: 0x100000, length: 0x3EE0000, isAvailable: true))
    #expect(!regions[3].isAvailable)
    #expect(MemoryMap.availableBytes(regions) == 0x9FC00 + 0x3EE0000)
}

@Test func malformedMapsEndTheWalkWithoutTrapping() {
    var bytes = mapBytes([(0, 0x1000, 1), (0x100000, 0x100000, 1)])
    bytes[24] = 0xFF   // second entry claims a size far past the end
    #expect(bytes.withUnsafeBytes { MemoryMap.parse($0) }.count == 1)
    let truncated = Array(mapBytes([(0, 0x1000, 1)]).prefix(17))
    #expect(truncated.withUnsafeBytes { MemoryMap.parse($0) }.isEmpty)
    var tiny = mapBytes([(0, 0x1000, 1)])
    tiny[0] = 3        // an entry smaller than its fields
    #expect(tiny.withUnsafeBytes { MemoryMap.parse($0) }.isEmpty)
    #expect([UInt8]().withUnsafeBytes { MemoryMap.parse($0) }.isEmpty)
    // A region reaching past 2^64 is clamped, not overflowed.
    let huge = PhysicalRegion(base: UInt64.max - 10, length: 100, isAvailable: true)
    #expect(huge.end == UInt64.max)
}

@Test func pageAllocatorHandsOutOnlyUsablePages() throws {
    let regions = [PhysicalRegion(base: 0, length: 0x9F800, isAvailable: true),
                   PhysicalRegion(base: 0x100000, length: 0x100000, isAvailable: true),
                   PhysicalRegion(base: 0x180000, length: 0x1000, isAvailable: false)]
    var pages = PageFrameAllocator(regions: regions)
    #expect(pages.freeCount == 0x9F + 0x100 - 1)   // partial page dropped, one reserved
    pages.reserve(base: 0, length: 0x100000)
    #expect(pages.freeCount == 0xFF)
    var seen = Set<UInt64>()
    while let p = pages.allocate() {
        #expect(p >= 0x100000 && p < 0x200000 && p != 0x180000)
        #expect(p % 4096 == 0)
        #expect(seen.insert(p).inserted)
    }
    #expect(seen.count == 0xFF)
    for p in seen { try pages.free(p) }
    #expect(pages.freeCount == 0xFF)
}

@Test func pageFreeRefusesBadAddresses() throws {
    var pages = PageFrameAllocator(regions: [PhysicalRegion(base: 0, length: 0x10000, isAvailable: true)])
    let taken = pages.allocate()
    let p = try #require(taken)
    try pages.free(p)
    var copy = pages
    #expect(throws: PageError.notAllocated) { try copy.free(p) }
    #expect(throws: PageError.misaligned) { try copy.free(p + 12) }
    #expect(throws: PageError.outOfRange) { try copy.free(0x1000_0000) }
}

@Test func contiguousRunsAreContiguous() {
    var pages = PageFrameAllocator(regions: [PhysicalRegion(base: 0, length: 0x20000, isAvailable: true)])
    _ = pages.allocate()
    let run = pages.allocateContiguous(8)
    #expect(run == 0x1000)
    for i in 1...8 { #expect(!pages.isFree(i)) }
    let tooMany = pages.allocateContiguous(100)
    #expect(tooMany == nil)
}
