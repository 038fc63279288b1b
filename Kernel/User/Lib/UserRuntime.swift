// The user library's runtime: what Embedded Swift needs from its platform,
// in user mode. Memory comes from the same boundary-tag heap the kernel
// uses (KernelCore's HeapAllocator) over a region in the program's bss;
// `putchar` collects a line and sends it to STDOUT (FSQ_WRITE), or to the
// console server `tty:00` when the program has no STDOUT; random bytes come from the cycle counter.
import AmoebaCore
import KernelCore

var userHeap: HeapAllocator? = nil

@_cdecl("posix_memalign")
func posix_memalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> CInt {
    if userHeap == nil {
        userHeap = HeapAllocator(region: UnsafeMutableRawPointer(user_heap_start())!, size: Int(user_heap_size()))
    }
    guard let p = try? userHeap!.allocate(size, alignment: alignment) else { return 12 }
    out.pointee = p
    return 0
}

@_cdecl("free")
func free(_ p: UnsafeMutableRawPointer?) {
    guard let p else { return }
    try? userHeap?.free(p)
}

var seed: UInt64 = 0

@_cdecl("arc4random_buf")
func arc4random_buf(_ buf: UnsafeMutableRawPointer, _ n: Int) {
    if seed == 0 { seed = user_rdtsc() | 1 }
    for i in 0..<n {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
        buf.storeBytes(of: UInt8(truncatingIfNeeded: seed), toByteOffset: i, as: UInt8.self)
    }
}

@_cdecl("putchar")
func putchar(_ c: CInt) -> CInt {
    Console.put(UInt8(truncatingIfNeeded: c))
    return c
}

/// The entry crt0 calls with the initial stack: read what the program was
/// given (its directory is ROOT), run it.
@_cdecl("user_start")
func user_start(_ stack: UnsafeRawPointer) -> Int32 {
    Program.read(stack: stack)
    Amoeba.directory = Program.capability("ROOT") ?? .null
    let status = programMain(Program.numericArgument)
    Console.flush()
    return status
}
