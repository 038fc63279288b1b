// Reading a user program from the boot image: a 32-bit little-endian
// i386 ELF executable, of which the loader needs the entry point and the
// loadable segments (where each goes, how much comes from the file, how
// much is zero-filled, whether it is writable or executable).
//
// The image is data like any other input, so every field is checked
// against the file's size and the user address range before it is used;
// a bad image is an error, never a trap in the kernel.

public struct ELFSegment: Equatable, Sendable {
    public let virtualAddress: UInt32
    public let fileOffset: UInt32
    public let fileSize: UInt32
    public let memorySize: UInt32
    public let writable: Bool
    public let executable: Bool
}

public enum ELFError: Error, Equatable, Sendable {
    case truncated
    case notELF
    case wrongClass
    case notExecutable
    case badSegment
}

public struct ELFImage: Sendable {
    public let entry: UInt32
    public let segments: [ELFSegment]

    public init(_ bytes: UnsafeRawBufferPointer, userBase: UInt32 = SegmentTable.userBase,
                userEnd: UInt64 = SegmentTable.userEnd) throws(ELFError) {
        guard bytes.count >= 52 else { throw .truncated }
        guard bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else { throw .notELF }
        guard bytes[4] == 1, bytes[5] == 1 else { throw .wrongClass }              // 32-bit, little-endian
        guard ELFImage.u16(bytes, 16) == 2, ELFImage.u16(bytes, 18) == 3 else { throw .notExecutable }  // ET_EXEC, EM_386
        entry = ELFImage.u32(bytes, 24)
        let phoff = Int(ELFImage.u32(bytes, 28))
        let phentsize = Int(ELFImage.u16(bytes, 42))
        let phnum = Int(ELFImage.u16(bytes, 44))
        guard phentsize >= 32, phnum <= 64, phoff <= bytes.count,
              phnum * phentsize <= bytes.count - phoff else { throw .truncated }
        var segs: [ELFSegment] = []
        for i in 0..<phnum {
            let at = phoff + i * phentsize
            guard ELFImage.u32(bytes, at) == 1 else { continue }   // PT_LOAD only
            let offset = ELFImage.u32(bytes, at + 4)
            let vaddr = ELFImage.u32(bytes, at + 8)
            let filesz = ELFImage.u32(bytes, at + 16)
            let memsz = ELFImage.u32(bytes, at + 20)
            let flags = ELFImage.u32(bytes, at + 24)
            guard memsz > 0 else { continue }
            guard filesz <= memsz, UInt64(offset) + UInt64(filesz) <= UInt64(bytes.count),
                  vaddr >= userBase, UInt64(vaddr) + UInt64(memsz) <= userEnd else { throw .badSegment }
            segs.append(ELFSegment(virtualAddress: vaddr, fileOffset: offset, fileSize: filesz,
                                   memorySize: memsz, writable: flags & 2 != 0, executable: flags & 1 != 0))
        }
        guard !segs.isEmpty else { throw .badSegment }
        let start = entry
        guard segs.contains(where: { $0.executable && start >= $0.virtualAddress
            && UInt64(start) < UInt64($0.virtualAddress) + UInt64($0.memorySize) }) else { throw .badSegment }
        segments = segs
    }

    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
