// Physical page frames: which 4 KiB pages of RAM are free, from the boot
// loader's memory map.
//
// One bit per frame below the highest usable address; a set bit means the
// frame is in use or not RAM at all. Everything starts used, the map's
// usable regions are then freed (only whole pages inside them), and the
// kernel reserves what it occupies (its image, its heap, the first MiB with
// the BIOS data). Freeing checks the address, so a double or wild free is
// an error, not a silent corruption of the map.

public enum PageError: Error, Equatable, Sendable {
    case misaligned
    case outOfRange
    case notAllocated
}

public struct PageFrameAllocator: Sendable {
    public static let pageSize: UInt64 = 4096

    private var bitmap: [UInt32]
    public let frameCount: Int
    public private(set) var freeCount = 0
    private var hint = 0

    /// Frames of the usable `regions` below `limit` (4 GiB on i686).
    public init(regions: [PhysicalRegion], limit: UInt64 = 1 << 32) {
        var top: UInt64 = 0
        for r in regions where r.isAvailable { top = max(top, min(r.end, limit)) }
        frameCount = Int(top / PageFrameAllocator.pageSize)
        bitmap = [UInt32](repeating: 0xFFFF_FFFF, count: (frameCount + 31) / 32)
        for r in regions where r.isAvailable {
            let first = (r.base + PageFrameAllocator.pageSize - 1) / PageFrameAllocator.pageSize
            let last = min(r.end, limit) / PageFrameAllocator.pageSize
            var f = first
            while f < last { setFree(Int(f)); f += 1 }
        }
        // A region listed twice as usable is freed once; reserved overlaps win.
        for r in regions where !r.isAvailable { reserve(base: r.base, length: r.length) }
    }

    public func isFree(_ frame: Int) -> Bool {
        frame >= 0 && frame < frameCount && bitmap[frame >> 5] & (1 << UInt32(frame & 31)) == 0
    }

    private mutating func setFree(_ frame: Int) {
        if !isFree(frame) {
            bitmap[frame >> 5] &= ~(1 << UInt32(frame & 31))
            freeCount += 1
        }
    }

    private mutating func setUsed(_ frame: Int) {
        if isFree(frame) {
            bitmap[frame >> 5] |= 1 << UInt32(frame & 31)
            freeCount -= 1
        }
    }

    /// Marks every frame touching `[base, base+length)` as in use.
    public mutating func reserve(base: UInt64, length: UInt64) {
        guard length > 0 else { return }
        let first = base / PageFrameAllocator.pageSize
        let endByte = base &+ length < base ? UInt64.max : base + length
        let last = min((endByte + PageFrameAllocator.pageSize - 1) / PageFrameAllocator.pageSize, UInt64(frameCount))
        var f = first
        while f < last { setUsed(Int(f)); f += 1 }
    }

    /// The physical address of a free frame, now in use; nil when none is left.
    public mutating func allocate() -> UInt64? {
        guard freeCount > 0 else { return nil }
        let words = bitmap.count
        for step in 0..<words {
            let w = (hint + step) % words
            let bits = bitmap[w]
            if bits != 0xFFFF_FFFF {
                let bit = (~bits).trailingZeroBitCount
                let frame = w * 32 + bit
                guard frame < frameCount else { continue }
                setUsed(frame)
                hint = w
                return UInt64(frame) * PageFrameAllocator.pageSize
            }
        }
        return nil
    }

    /// `count` physically contiguous free frames (for DMA buffers, page tables in a run).
    public mutating func allocateContiguous(_ count: Int) -> UInt64? {
        guard count > 0, count <= freeCount else { return nil }
        var run = 0
        var frame = 0
        while frame < frameCount {
            run = isFree(frame) ? run + 1 : 0
            if run == count {
                let first = frame - count + 1
                for f in first...frame { setUsed(f) }
                return UInt64(first) * PageFrameAllocator.pageSize
            }
            frame += 1
        }
        return nil
    }

    public mutating func free(_ address: UInt64) throws(PageError) {
        guard address % PageFrameAllocator.pageSize == 0 else { throw .misaligned }
        let frame = address / PageFrameAllocator.pageSize
        guard frame < UInt64(frameCount) else { throw .outOfRange }
        guard !isFree(Int(frame)) else { throw .notAllocated }
        setFree(Int(frame))
    }
}
