// Paging: one address space per process, the kernel in every one of them.
//
// The lowest 1 GiB is the kernel's, identity-mapped with 4 MiB pages and
// supervisor-only, so the kernel reaches all physical memory at its own
// address and user code cannot touch it; page 0 alone is left unmapped, so
// a null pointer faults as "not present". User space is 0x40000000 to
// 0x80000000, mapped page by page from the process's segments, each page
// user-accessible and writable only where its segment is. CR0.WP makes the
// kernel respect read-only pages too, so a validation slip cannot write a
// process's text. Page tables and directories are physical frames, reached
// through the identity map.
import KernelCore

enum Paging {
    static var kernelDirectory: UInt32 = 0
    static let kernelDirectoryEntries = 256   // 256 x 4 MiB = 1 GiB

    static func allocateFrame() -> UInt32? {
        Interrupts.withDisabled {
            guard let f = Kernel.pages?.allocate() else { return nil }
            let p = UnsafeMutableRawPointer(bitPattern: UInt(f))!
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
            return UInt32(f)
        }
    }

    /// `count` zeroed frames, or none: a failure part-way gives back the
    /// ones already taken, so a refused request leaves nothing behind.
    static func allocateFrames(_ count: Int) -> [UInt32]? {
        var frames: [UInt32] = []
        frames.reserveCapacity(count)
        for _ in 0..<count {
            guard let f = allocateFrame() else {
                for f in frames { freeFrame(f) }
                return nil
            }
            frames.append(f)
        }
        return frames
    }

    static func freeFrame(_ f: UInt32) {
        Interrupts.withDisabled { try? Kernel.pages?.free(UInt64(f)) }
    }

    static func table(_ frame: UInt32) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer<UInt32>(bitPattern: UInt(frame))!
    }

    static func enable() {
        kernelDirectory = allocateFrame()!
        let pd = table(kernelDirectory)
        for i in 0..<kernelDirectoryEntries { pd[i] = UInt32(i) << 22 | 0x83 }  // present, writable, 4 MiB
        // The first 4 MiB through a page table instead, so that page 0 can
        // be absent: a null pointer, in the kernel or in a process (every
        // address space shares this table), faults as "not present".
        let low = allocateFrame()!
        let lt = table(low)
        for i in 1..<1024 { lt[i] = UInt32(i) << 12 | 0x3 }         // present, writable, supervisor
        pd[0] = low | 0x3
        cpu_set_cr4(cpu_cr4() | 0x10)                      // PSE
        cpu_set_cr3(kernelDirectory)
        cpu_set_cr0(cpu_cr0() | 0x8001_0000)               // PG, WP
    }

    /// Loads `directory` unless it is already the current one.
    static func activate(_ directory: UInt32) {
        if cpu_cr3() != directory { cpu_set_cr3(directory) }
    }
}

final class AddressSpace {
    let directory: UInt32
    private var tables: [UInt32] = []
    private var frames: [UInt32] = []

    init?() {
        guard let d = Paging.allocateFrame() else { return nil }
        directory = d
        let pd = Paging.table(d), kernel = Paging.table(Paging.kernelDirectory)
        for i in 0..<Paging.kernelDirectoryEntries { pd[i] = kernel[i] }
    }

    /// Maps a fresh zeroed frame at `virtual` (page-aligned, user space).
    func mapNew(_ virtual: UInt32, writable: Bool) -> Bool {
        guard let f = Paging.allocateFrame() else { return false }
        guard map(frame: f, at: virtual, writable: writable) else {   // no frame for its page table
            Paging.freeFrame(f)
            return false
        }
        frames.append(f)
        return true
    }

    /// Maps a frame this space does not own (a shared segment's) at `virtual`.
    func map(frame f: UInt32, at virtual: UInt32, writable: Bool) -> Bool {
        let pd = Paging.table(directory)
        let di = Int(virtual >> 22), ti = Int((virtual >> 12) & 0x3FF)
        if pd[di] & 1 == 0 {
            guard let t = Paging.allocateFrame() else { return false }
            tables.append(t)
            pd[di] = t | 0x7                               // present, writable, user: pages decide
        }
        Paging.table(pd[di] & ~0xFFF)[ti] = f | (writable ? 0x7 : 0x5)
        return true
    }

    /// Removes the mapping at `virtual` (a frame this space does not own)
    /// and drops it from the TLB when this space is the loaded one.
    func unmap(_ virtual: UInt32) {
        let pde = Paging.table(directory)[Int(virtual >> 22)]
        guard pde & 1 != 0, Int(virtual >> 22) >= Paging.kernelDirectoryEntries else { return }
        Paging.table(pde & ~0xFFF)[Int((virtual >> 12) & 0x3FF)] = 0
        if cpu_cr3() == directory { cpu_invlpg(virtual) }
    }

    /// Takes back a page `mapNew` mapped: unmapped, and its frame returned
    /// (undoing a segment whose mapping failed part-way).
    func unmapOwned(_ virtual: UInt32) {
        guard let p = physical(virtual) else { return }
        let f = UInt32(UInt(bitPattern: p)) & ~0xFFF
        unmap(virtual)
        if let i = frames.lastIndex(of: f) {
            frames.remove(at: i)
            Paging.freeFrame(f)
        }
    }

    /// Whether the process itself could touch every byte of
    /// `[address, address+length)`: each page present and user-accessible
    /// (and writable when `write`) in its page tables, which is what is
    /// really mapped, whatever the bookkeeping says. Empty ranges are
    /// accessible anywhere, so a null pointer with length zero is fine.
    @inline(__always)
    func userAccessible(_ address: UInt32, length: UInt32, write: Bool) -> Bool {
        guard length > 0 else { return true }
        let end = UInt64(address) + UInt64(length)
        guard end <= 0x1_0000_0000 else { return false }
        // Present and user, plus writable when writing. The kernel's
        // directory entries lack the user bit, so kernel memory fails here
        // before any table is followed.
        let need: UInt32 = write ? 0x7 : 0x5
        let pd = Paging.table(directory)
        var page = UInt64(address & ~0xFFF)
        while page < end {
            let pde = pd[Int(page >> 22)]
            guard pde & need == need else { return false }
            let pte = Paging.table(pde & ~0xFFF)[Int((page >> 12) & 0x3FF)]
            guard pte & need == need else { return false }
            page += 0x1000
        }
        return true
    }

    /// The kernel's view of a mapped user address (through the identity map).
    func physical(_ virtual: UInt32) -> UnsafeMutableRawPointer? {
        let pde = Paging.table(directory)[Int(virtual >> 22)]
        guard pde & 1 != 0, Int(virtual >> 22) >= Paging.kernelDirectoryEntries else { return nil }
        let pte = Paging.table(pde & ~0xFFF)[Int((virtual >> 12) & 0x3FF)]
        guard pte & 1 != 0 else { return nil }
        return UnsafeMutableRawPointer(bitPattern: UInt((pte & ~0xFFF) | (virtual & 0xFFF)))
    }

    /// Copies bytes into mapped user memory, page by page; false if any page is missing.
    func write(_ bytes: UnsafeRawBufferPointer, at virtual: UInt32) -> Bool {
        var done = 0
        while done < bytes.count {
            let v = virtual + UInt32(done)
            guard let p = physical(v) else { return false }
            let n = min(bytes.count - done, 4096 - Int(v & 0xFFF))
            p.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            done += n
        }
        return true
    }

    var pageCount: Int { frames.count + tables.count + 1 }

    deinit {
        for f in frames { Paging.freeFrame(f) }
        for t in tables { Paging.freeFrame(t) }
        Paging.freeFrame(directory)
    }
}
