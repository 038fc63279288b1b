// The physical memory map the boot loader hands over (multiboot v1), read
// without trusting it.
//
// Each entry is `size u32, base u64, length u64, type u32`, and the next
// entry starts `size + 4` bytes further on. A loader bug or a corrupt map
// must not take the kernel down while it is still booting, so every read is
// bounds-checked and a malformed entry ends the walk with what was read so
// far. Type 1 is usable RAM; everything else is left alone.

public struct PhysicalRegion: Equatable, Sendable {
    public var base: UInt64
    public var length: UInt64
    public var isAvailable: Bool

    public init(base: UInt64, length: UInt64, isAvailable: Bool) {
        self.base = base
        self.length = length
        self.isAvailable = isAvailable
    }

    public var end: UInt64 { base &+ length < base ? UInt64.max : base + length }
}

public enum MemoryMap {
    /// The regions described by a multiboot memory map of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> [PhysicalRegion] {
        var regions: [PhysicalRegion] = []
        var offset = 0
        while offset + 24 <= bytes.count {
            let size = Int(load32(bytes, offset))
            guard size >= 20, offset + 4 + size <= bytes.count else { break }
            let base = UInt64(load32(bytes, offset + 4)) | UInt64(load32(bytes, offset + 8)) << 32
            let length = UInt64(load32(bytes, offset + 12)) | UInt64(load32(bytes, offset + 16)) << 32
            let type = load32(bytes, offset + 20)
            regions.append(PhysicalRegion(base: base, length: length, isAvailable: type == 1))
            offset += 4 + size
        }
        return regions
    }

    /// Total usable bytes in `regions`.
    public static func availableBytes(_ regions: [PhysicalRegion]) -> UInt64 {
        var total: UInt64 = 0
        for r in regions where r.isAvailable { total &+= r.length }
        return total
    }

    static func load32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}

/// The kernel command line (`scenario=timers quiet`): words, some `key=value`.
public struct BootCommandLine: Sendable {
    public let words: [String]

    public init(_ text: String) {
        var words: [String] = []
        var current = ""
        for ch in text {
            if ch == " " || ch == "\t" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { words.append(current) }
        self.words = words
    }

    /// The value of `key=value`, nil when the key is absent.
    public func value(of key: String) -> String? {
        for w in words {
            var k = ""
            var rest = Substring(w)
            while let c = rest.first, c != "=" { k.append(c); rest = rest.dropFirst() }
            if k == key, rest.first == "=" { return String(rest.dropFirst()) }
        }
        return nil
    }

    public func has(_ flag: String) -> Bool { words.contains(flag) }
}
