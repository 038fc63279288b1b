// The kernel heap: a first-fit allocator with boundary tags and an address-ordered free list over one fixed
// region of memory, with a real `free` that coalesces neighbours.
//
// The Swift runtime in the kernel allocates for every class instance, array
// and closure context, so the heap's `free` must give memory back: a bump
// allocator runs dry after a few tens of thousands of packets. Each block
// carries its size in a header and a footer so that freeing can merge with
// the block before and after in constant time; free blocks are threaded on
// a doubly linked list, in address order, through their payload. A second header word holds
// the size mixed with a magic number, so a wild or double free is refused
// with an error instead of corrupting the heap.
//
// The allocator is pure logic over a raw region, so the host tests drive it
// through hours' worth of simulated churn and check that it does not grow.
//
// With `quickLists` (the kernel's heap) small blocks also get a fast path:
// a freed block of at most `quickLimit` bytes goes, uncoalesced, onto a
// singly linked list of blocks of its exact size, and the next request of
// that size takes it back, both in a few instructions. The address-ordered
// list costs a walk on every free and allocation, and the kernel's message
// path frees and allocates the same few small sizes over and over (frames,
// events, buffers), so that walk was a quarter of a null transaction. A
// cached block keeps its used tag, so neighbours do not merge into it, and
// carries a second magic word of its own, so freeing it again is refused
// like any double free. The lists are bounded, and given back to the free
// list (where they coalesce) after every `quickFlushMisses` requests the
// lists could not serve, and before a request fails: a workload that keeps
// to a few sizes (the message path) keeps its blocks cached, while one of
// scattered sizes, which the lists would only fragment, flushes them often
// and places its blocks as the plain first fit does.

/// How the heap is doing, for the `sys` server and the churn tests.
public struct HeapStatistics: Equatable, Sendable {
    public var bytesInUse = 0
    public var blocksInUse = 0
    public var freeBytes = 0
    public var freeBlocks = 0
    /// The highest offset from the heap base ever covered by a used block.
    public var highWater = 0
    public var allocations = 0
    public var frees = 0
    /// Free small blocks held on the quick lists (not in `freeBytes`).
    public var cachedBytes = 0
    public var cachedBlocks = 0
}

/// Why the heap refused a request.
public enum HeapError: Error, Equatable, Sendable {
    case invalidAlignment
    case outOfMemory
    /// `free` of a pointer the heap did not hand out, or freed twice.
    case notAllocated
}

public struct HeapAllocator {
    static let headerSize = 16
    static let word = MemoryLayout<Int>.size
    static let minimumBlock = 48
    static let usedBit = 1
    static let magic = Int(truncatingIfNeeded: 0x5EA7_B10C as UInt32)
    /// The second word of a block parked on a quick list.
    static let cachedMagic = Int(truncatingIfNeeded: 0xCAC4_E0B1 as UInt32)
    /// Quick lists: one per block size from minimumBlock up in 16-byte steps.
    static let quickClasses = 32
    static let quickLimit = minimumBlock + (quickClasses - 1) * 16
    /// Blocks a quick list holds at most; more are freed the slow way.
    static let quickDepth = 16
    /// Requests the lists miss between two flushes of them.
    static let quickFlushMisses = 32

    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    private var freeHead: UnsafeMutableRawPointer?
    public private(set) var statistics = HeapStatistics()
    /// The quick lists' heads and lengths (two words per class), kept at
    /// the start of the region; nil without quick lists.
    private let quick: UnsafeMutablePointer<Int>?
    private var quickMisses = 0

    /// A heap over `size` bytes at `region`; the region is trimmed to 16-byte
    /// alignment at both ends. With `quickLists`, small blocks are recycled
    /// through per-size lists (see above); their table takes the region's first bytes.
    public init(region: UnsafeMutableRawPointer, size: Int, quickLists: Bool = false) {
        var start = (Int(bitPattern: region) + 15) & ~15
        var trimmed = (size - (start - Int(bitPattern: region))) & ~15
        let tableBytes = (2 * HeapAllocator.quickClasses * HeapAllocator.word + 15) & ~15
        if quickLists && trimmed >= tableBytes + HeapAllocator.minimumBlock {
            let table = UnsafeMutablePointer<Int>(bitPattern: start)!
            table.initialize(repeating: 0, count: 2 * HeapAllocator.quickClasses)
            quick = table
            start += tableBytes
            trimmed -= tableBytes
        } else {
            quick = nil
        }
        base = UnsafeMutableRawPointer(bitPattern: start)!
        capacity = max(trimmed, 0)
        freeHead = nil
        if capacity >= HeapAllocator.minimumBlock {
            writeTags(base, size: capacity, used: false)
            push(base)
            statistics.freeBytes = capacity
            statistics.freeBlocks = 1
        }
    }

    // MARK: allocation

    /// `count` bytes aligned to `alignment` (a power of two; 16 at least is used).
    public mutating func allocate(_ count: Int, alignment: Int = 16) throws(HeapError) -> UnsafeMutableRawPointer {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= 1 << 20 else {
            throw .invalidAlignment
        }
        guard count >= 0, count <= capacity else { throw .outOfMemory }
        let align = max(alignment, 16)
        let need = max((count + HeapAllocator.headerSize + HeapAllocator.word + 15) & ~15,
                       HeapAllocator.minimumBlock)
        if let quick, align == 16, need <= HeapAllocator.quickLimit {
            let c = (need - HeapAllocator.minimumBlock) >> 4
            if let block = UnsafeMutableRawPointer(bitPattern: quick[2 * c]) {
                quick[2 * c] = (block + HeapAllocator.headerSize).load(as: Int.self)
                quick[2 * c + 1] -= 1
                (block + HeapAllocator.word).storeBytes(of: need ^ HeapAllocator.magic, as: Int.self)
                statistics.cachedBytes -= need
                statistics.cachedBlocks -= 1
                statistics.bytesInUse += need
                statistics.blocksInUse += 1
                statistics.allocations += 1
                return block + HeapAllocator.headerSize
            }
        }
        if quick != nil {
            quickMisses += 1
            if quickMisses >= HeapAllocator.quickFlushMisses { flushQuickLists() }
        }
        if let p = firstFit(need: need, align: align) { return p }
        // Short of memory: give the quick lists back (they coalesce) and look again.
        guard statistics.cachedBlocks > 0 else { throw .outOfMemory }
        flushQuickLists()
        if let p = firstFit(need: need, align: align) { return p }
        throw .outOfMemory
    }

    /// The first free block (address order) that fits, carved.
    private mutating func firstFit(need: Int, align: Int) -> UnsafeMutableRawPointer? {
        var cursor = freeHead
        while let block = cursor {
            let start = Int(bitPattern: block)
            let size = sizeOf(block)
            var payload = (start + HeapAllocator.headerSize + align - 1) & ~(align - 1)
            var gap = payload - HeapAllocator.headerSize - start
            if gap > 0 && gap < HeapAllocator.minimumBlock {
                payload = (start + HeapAllocator.headerSize + HeapAllocator.minimumBlock + align - 1) & ~(align - 1)
                gap = payload - HeapAllocator.headerSize - start
            }
            if gap + need <= size {
                return carve(block, size: size, gap: gap, need: need)
            }
            cursor = next(block)
        }
        return nil
    }

    /// Frees every block parked on the quick lists the slow way.
    public mutating func flushQuickLists() {
        guard let quick else { return }
        quickMisses = 0
        for c in 0..<HeapAllocator.quickClasses {
            while let block = UnsafeMutableRawPointer(bitPattern: quick[2 * c]) {
                quick[2 * c] = (block + HeapAllocator.headerSize).load(as: Int.self)
                let size = sizeOf(block)
                statistics.cachedBytes -= size
                statistics.cachedBlocks -= 1
                release(block, size: size)
            }
            quick[2 * c + 1] = 0
        }
    }

    private mutating func carve(_ block: UnsafeMutableRawPointer, size: Int, gap: Int, need: Int) -> UnsafeMutableRawPointer {
        unlink(block)
        statistics.freeBlocks -= 1
        statistics.freeBytes -= size
        if gap > 0 {
            writeTags(block, size: gap, used: false)
            push(block)
            statistics.freeBlocks += 1
            statistics.freeBytes += gap
        }
        let used = block + gap
        var usedSize = need
        let rest = size - gap - need
        if rest >= HeapAllocator.minimumBlock {
            let tail = used + need
            writeTags(tail, size: rest, used: false)
            push(tail)
            statistics.freeBlocks += 1
            statistics.freeBytes += rest
        } else {
            usedSize += rest
        }
        writeTags(used, size: usedSize, used: true)
        statistics.bytesInUse += usedSize
        statistics.blocksInUse += 1
        statistics.allocations += 1
        statistics.highWater = max(statistics.highWater, used + usedSize - base)
        return used + HeapAllocator.headerSize
    }

    // MARK: free

    public mutating func free(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        let block = pointer - HeapAllocator.headerSize
        guard isUsedBlock(block) else { throw .notAllocated }
        let size = sizeOf(block)
        statistics.bytesInUse -= size
        statistics.blocksInUse -= 1
        statistics.frees += 1
        if let quick, size <= HeapAllocator.quickLimit {
            let c = (size - HeapAllocator.minimumBlock) >> 4
            if quick[2 * c + 1] < HeapAllocator.quickDepth {
                (block + HeapAllocator.word).storeBytes(of: size ^ HeapAllocator.cachedMagic, as: Int.self)
                (block + HeapAllocator.headerSize).storeBytes(of: quick[2 * c], as: Int.self)
                quick[2 * c] = Int(bitPattern: block)
                quick[2 * c + 1] += 1
                statistics.cachedBytes += size
                statistics.cachedBlocks += 1
                return
            }
        }
        release(block, size: size)
    }

    /// Returns a block to the address-ordered free list, merged with free neighbours.
    private mutating func release(_ freed: UnsafeMutableRawPointer, size freedSize: Int) {
        var block = freed
        var size = freedSize
        let end = base + capacity
        let after = block + size
        if after < end && !isUsed(after) {
            let afterSize = sizeOf(after)
            unlink(after)
            statistics.freeBlocks -= 1
            statistics.freeBytes -= afterSize
            size += afterSize
        }
        if block > base {
            let footer = (block - HeapAllocator.word).load(as: Int.self)
            if footer & HeapAllocator.usedBit == 0 {
                let before = block - footer
                unlink(before)
                statistics.freeBlocks -= 1
                statistics.freeBytes -= footer
                size += footer
                block = before
            }
        }
        writeTags(block, size: size, used: false)
        push(block)
        statistics.freeBlocks += 1
        statistics.freeBytes += size
    }

    /// The usable size of an allocated block (at least what was asked).
    public func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int? {
        let block = pointer - HeapAllocator.headerSize
        guard isUsedBlock(block) else { return nil }
        return sizeOf(block) - HeapAllocator.headerSize - HeapAllocator.word
    }

    /// The largest request that would succeed now at 16-byte alignment.
    public var largestFree: Int {
        var best = 0
        var cursor = freeHead
        while let b = cursor {
            best = max(best, sizeOf(b) - HeapAllocator.headerSize - HeapAllocator.word)
            cursor = next(b)
        }
        return best
    }

    /// Walks every block and checks the tags agree: the heap's self-test.
    public func verify() -> Bool {
        var p = base
        let end = base + capacity
        var free = 0, used = 0, cached = 0
        while p < end {
            let size = sizeOf(p)
            guard size >= HeapAllocator.minimumBlock, size & 15 == 0, p + size <= end else { return false }
            let footer = (p + size - HeapAllocator.word).load(as: Int.self)
            guard footer == p.load(as: Int.self) else { return false }
            if !isUsed(p) {
                free += size
            } else if (p + HeapAllocator.word).load(as: Int.self) == size ^ HeapAllocator.cachedMagic {
                cached += size
            } else {
                used += size
            }
            p += size
        }
        return p == end && free == statistics.freeBytes && used == statistics.bytesInUse
            && cached == statistics.cachedBytes
    }

    // MARK: tags and the free list

    private func sizeOf(_ block: UnsafeMutableRawPointer) -> Int {
        block.load(as: Int.self) & ~15
    }

    private func isUsed(_ block: UnsafeMutableRawPointer) -> Bool {
        block.load(as: Int.self) & HeapAllocator.usedBit != 0
    }

    private func isUsedBlock(_ block: UnsafeMutableRawPointer) -> Bool {
        let offset = block - base
        guard offset >= 0, offset & 15 == 0, offset + HeapAllocator.minimumBlock <= capacity else { return false }
        let tag = block.load(as: Int.self)
        let size = tag & ~15
        guard tag & HeapAllocator.usedBit != 0, size >= HeapAllocator.minimumBlock,
              offset + size <= capacity else { return false }
        return (block + HeapAllocator.word).load(as: Int.self) == size ^ HeapAllocator.magic
            && (block + size - HeapAllocator.word).load(as: Int.self) == tag
    }

    private func writeTags(_ block: UnsafeMutableRawPointer, size: Int, used: Bool) {
        let tag = size | (used ? HeapAllocator.usedBit : 0)
        block.storeBytes(of: tag, as: Int.self)
        (block + HeapAllocator.word).storeBytes(of: used ? size ^ HeapAllocator.magic : 0, as: Int.self)
        (block + size - HeapAllocator.word).storeBytes(of: tag, as: Int.self)
    }

    private func next(_ block: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: (block + HeapAllocator.headerSize).load(as: Int.self))
    }

    private func previous(_ block: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: (block + HeapAllocator.headerSize + HeapAllocator.word).load(as: Int.self))
    }

    private func setNext(_ block: UnsafeMutableRawPointer, _ value: UnsafeMutableRawPointer?) {
        (block + HeapAllocator.headerSize).storeBytes(of: Int(bitPattern: value), as: Int.self)
    }

    private func setPrevious(_ block: UnsafeMutableRawPointer, _ value: UnsafeMutableRawPointer?) {
        (block + HeapAllocator.headerSize + HeapAllocator.word).storeBytes(of: Int(bitPattern: value), as: Int.self)
    }

    /// Inserts a free block in address order: first fit over an address-ordered
    /// list keeps allocations packed low, which is what stops the heap from
    /// creeping upwards under churn.
    private mutating func push(_ block: UnsafeMutableRawPointer) {
        var before: UnsafeMutableRawPointer? = nil
        var after = freeHead
        while let a = after, a < block {
            before = a
            after = next(a)
        }
        setNext(block, after)
        setPrevious(block, before)
        if let after { setPrevious(after, block) }
        if let before { setNext(before, block) } else { freeHead = block }
    }

    private mutating func unlink(_ block: UnsafeMutableRawPointer) {
        let n = next(block), p = previous(block)
        if let p { setNext(p, n) } else { freeHead = n }
        if let n { setPrevious(n, p) }
    }
}
