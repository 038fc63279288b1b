// The kernel heap on the host: allocation, alignment, coalescing, refused
// frees, and long churn without growth.
import Testing
@testable import KernelCore
import TestSupport

/// A heap over freshly allocated host memory, released after `body`.
func withHeap(size: Int, _ body: (inout HeapAllocator) throws -> Void) rethrows {
    let region = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    defer { region.deallocate() }
    var heap = HeapAllocator(region: region, size: size)
    try body(&heap)
}

@Test func freshHeapIsOneFreeBlock() {
    withHeap(size: 1 << 16) { heap in
        #expect(heap.statistics.freeBlocks == 1)
        #expect(heap.statistics.freeBytes == 1 << 16)
        #expect(heap.verify())
    }
}

@Test func allocationsAreAlignedAndDisjoint() throws {
    try withHeap(size: 1 << 20) { heap in
        var blocks: [(UnsafeMutableRawPointer, Int)] = []
        for (i, align) in [16, 32, 64, 256, 4096, 16].enumerated() {
            let size = 100 * (i + 1)
            let p = try heap.allocate(size, alignment: align)
            #expect(Int(bitPattern: p) % align == 0)
            #expect(heap.usableSize(p)! >= size)
            p.initializeMemory(as: UInt8.self, repeating: UInt8(i + 1), count: size)
            blocks.append((p, size))
        }
        for (i, (p, size)) in blocks.enumerated() {
            #expect(p.load(fromByteOffset: size - 1, as: UInt8.self) == UInt8(i + 1))
        }
        #expect(heap.verify())
    }
}

@Test func freeCoalescesBackToOneBlock() throws {
    try withHeap(size: 1 << 16) { heap in
        let a = try heap.allocate(100), b = try heap.allocate(200), c = try heap.allocate(300)
        try heap.free(b)
        try heap.free(a)
        try heap.free(c)
        #expect(heap.statistics.freeBlocks == 1)
        #expect(heap.statistics.bytesInUse == 0)
        #expect(heap.largestFree > (1 << 16) - 64)
        #expect(heap.verify())
    }
}

@Test func badFreesAreRefused() throws {
    try withHeap(size: 1 << 16) { heap in
        let a = try heap.allocate(64)
        try heap.free(a)
        #expect(throws: HeapError.notAllocated) { try heap.free(a) }
        #expect(throws: HeapError.notAllocated) { try heap.free(heap.base + 3) }
        #expect(throws: HeapError.notAllocated) { try heap.free(heap.base + (1 << 20)) }
        #expect(heap.verify())
    }
}

@Test func exhaustionIsAnErrorNotACrash() {
    withHeap(size: 1 << 14) { heap in
        #expect(throws: HeapError.outOfMemory) { try heap.allocate(1 << 15) }
        #expect(throws: HeapError.invalidAlignment) { try heap.allocate(16, alignment: 24) }
        var n = 0
        while (try? heap.allocate(100)) != nil { n += 1 }
        #expect(n > 50)
        #expect(heap.verify())
    }
}

/// Random allocations and frees with a bounded live set (at most 600
/// blocks), sizes from a few bytes to pages, some page-aligned. Returns the
/// blocks still live and the high water after 50,000 operations (warm-up).
func churn(_ heap: inout HeapAllocator, seed: UInt64, operations: Int) throws -> ([UnsafeMutableRawPointer], Int) {
    var rng = SeededRandom(seed)
    var live: [UnsafeMutableRawPointer] = []
    var waterAfterWarmup = 0
    for op in 0..<operations {
        if live.count < 600 && (live.isEmpty || rng.below(3) != 0) {
            let size = 1 + rng.below(rng.below(8) == 0 ? 16384 : 512)
            let align = 1 << (4 + rng.below(rng.below(10) == 0 ? 9 : 2))
            live.append(try heap.allocate(size, alignment: align))
        } else {
            try heap.free(live.remove(at: rng.below(live.count)))
        }
        if op == 50_000 { waterAfterWarmup = heap.statistics.highWater }
    }
    return (live, waterAfterWarmup)
}

/// Hours of kernel use, compressed: 400,000 operations with a bounded live
/// set, sizes from a few bytes to pages, some page-aligned. The heap's high
/// water mark must settle early, and freeing everything must give back one block.
@Test func churnDoesNotGrow() throws {
    try withHeap(size: 8 << 20) { heap in
        let (live, waterAfterWarmup) = try churn(&heap, seed: 42, operations: 400_000)
        #expect(heap.statistics.highWater <= waterAfterWarmup + waterAfterWarmup / 4)
        #expect(heap.verify())
        for p in live { try heap.free(p) }
        #expect(heap.statistics.bytesInUse == 0)
        #expect(heap.statistics.freeBlocks == 1)
    }
}

/// A heap with quick lists over freshly allocated host memory.
func withQuickHeap(size: Int, _ body: (inout HeapAllocator) throws -> Void) rethrows {
    let region = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    defer { region.deallocate() }
    var heap = HeapAllocator(region: region, size: size, quickLists: true)
    try body(&heap)
}

@Test func quickListsRecycleSmallBlocksAndRefuseDoubleFrees() throws {
    try withQuickHeap(size: 1 << 16) { heap in
        let a = try heap.allocate(40)
        try heap.free(a)
        #expect(heap.statistics.cachedBlocks == 1 && heap.statistics.bytesInUse == 0)
        // The same size comes back from the list, the same block.
        let b = try heap.allocate(40)
        #expect(b == a && heap.statistics.cachedBlocks == 0)
        try heap.free(b)
        #expect(throws: HeapError.notAllocated) { try heap.free(b) }
        #expect(heap.verify())
        // Large blocks and over-aligned ones take the ordinary path.
        let big = try heap.allocate(4000), aligned = try heap.allocate(40, alignment: 256)
        try heap.free(big)
        try heap.free(aligned)
        #expect(heap.verify())
        heap.flushQuickLists()
        #expect(heap.statistics.cachedBytes == 0 && heap.statistics.freeBlocks == 1)
        #expect(heap.verify())
    }
}

@Test func quickListsGiveMemoryBackBeforeFailing() throws {
    try withQuickHeap(size: 1 << 16) { heap in
        // Fill the heap with small blocks, free them all onto the lists
        // (up to their depth), then ask for one large block: it must fit.
        var small: [UnsafeMutableRawPointer] = []
        while let p = try? heap.allocate(24) { small.append(p) }
        for p in small { try heap.free(p) }
        #expect(heap.statistics.cachedBlocks > 0)
        let big = try heap.allocate(heap.capacity / 2)
        try heap.free(big)
        #expect(heap.verify())
    }
}

@Test func quickListChurnDoesNotGrow() throws {
    try withQuickHeap(size: 8 << 20) { heap in
        let (live, waterAfterWarmup) = try churn(&heap, seed: 7, operations: 200_000)
        #expect(heap.statistics.highWater <= waterAfterWarmup + waterAfterWarmup / 4)
        #expect(heap.verify())
        for p in live { try heap.free(p) }
        #expect(heap.statistics.bytesInUse == 0)
        heap.flushQuickLists()
        #expect(heap.statistics.freeBlocks == 1)
        #expect(heap.verify())
    }
}
