// A process's segments and the check every user pointer must pass.
//
// In the VX design a process is a set of segments: text (read-only), data
// (read-write), one stack per thread, and segments shared with other
// processes. A pointer and a length handed to the kernel by a process are
// only used once the whole range `[address, address+length)` is known to
// lie inside one of its segments, with write permission when the kernel is
// going to write there. The arithmetic is checked, so a length that wraps
// around the address space is refused, not believed.

public enum SegmentKind: Equatable, Sendable {
    case text
    case data
    case stack
    case shared
}

public struct SegmentDescriptor: Equatable, Sendable {
    public let kind: SegmentKind
    public let base: UInt32
    public let size: UInt32
    public let writable: Bool

    public init(kind: SegmentKind, base: UInt32, size: UInt32, writable: Bool) {
        self.kind = kind
        self.base = base
        self.size = size
        self.writable = writable
    }

    /// One past the last byte (as 64-bit, so a segment ending at 4 GiB fits).
    public var end: UInt64 { UInt64(base) + UInt64(size) }
}

public enum SegmentError: Error, Equatable, Sendable {
    case overlaps
    case empty
    case outsideUserSpace
    case notMapped
    case readOnly
}

public struct SegmentTable: Sendable {
    /// Where user space starts and ends in every process's address space.
    public static let userBase: UInt32 = 0x4000_0000
    public static let userEnd: UInt64 = 0x8000_0000

    public private(set) var segments: [SegmentDescriptor] = []

    public init() {}

    public mutating func add(_ s: SegmentDescriptor) throws(SegmentError) {
        guard s.size > 0 else { throw .empty }
        guard s.base >= SegmentTable.userBase, s.end <= SegmentTable.userEnd else { throw .outsideUserSpace }
        for t in segments where UInt64(s.base) < t.end && UInt64(t.base) < s.end { throw .overlaps }
        segments.append(s)
    }

    /// The segment holding all of `[address, address+length)`, if writable when `write`.
    public func check(address: UInt32, length: UInt32, write: Bool) throws(SegmentError) -> SegmentDescriptor {
        let end = UInt64(address) + UInt64(length)
        // Newest first: the stack and allocated segments, where system call
        // buffers live, come after text and data. Segments never overlap,
        // so the order does not change the answer.
        for s in segments.reversed() where UInt64(address) >= UInt64(s.base) && end <= s.end {
            if write && !s.writable { throw .readOnly }
            return s
        }
        throw .notMapped
    }

    /// The segment containing one address (for fault reports).
    public func segment(containing address: UInt32) -> SegmentDescriptor? {
        segments.first { UInt64(address) >= UInt64($0.base) && UInt64(address) < $0.end }
    }

    /// Takes out the segment starting at `base`, if there is one.
    public mutating func remove(base: UInt32) -> SegmentDescriptor? {
        guard let i = segments.firstIndex(where: { $0.base == base }) else { return nil }
        return segments.remove(at: i)
    }

    /// The stack segment whose guard page (the unmapped page just below it)
    /// holds `address`: a fault there is that stack overflowing.
    public func stackGuarded(by address: UInt32) -> SegmentDescriptor? {
        segments.first { $0.kind == .stack && $0.base >= 0x1000 && address >= $0.base - 0x1000 && address < $0.base }
    }

    /// A free range of `size` bytes (page-aligned) above every existing segment.
    public func freeRange(size: UInt32, below limit: UInt64) -> UInt32? {
        var top = UInt64(SegmentTable.userBase)
        for s in segments where s.end <= limit { top = max(top, (s.end + 0xFFF) & ~0xFFF) }
        top += 0x1000   // an unmapped page between segments: the guard below a stack
        guard top + UInt64(size) <= limit else { return nil }
        return UInt32(top)
    }
}
