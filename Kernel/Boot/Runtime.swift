// What the Embedded Swift runtime expects from its platform: memory
// allocation (every class, array and closure context comes from here),
// `putchar` for `print`, and random bytes for hash seeds. The memory
// primitives (memcpy and friends) are in entry.S.
import KernelCore

/// The kernel heap, set up by `Boot` before the first allocation.
var kernelHeap: HeapAllocator? = nil

@_cdecl("posix_memalign")
func posix_memalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> CInt {
    let flags = cpu_flags(); cpu_cli()
    defer { cpu_set_flags(flags) }
    guard kernelHeap != nil else { Machine.fail("allocation before the heap exists") }
    do {
        out.pointee = try kernelHeap!.allocate(size, alignment: alignment)
        return 0
    } catch {
        let s = kernelHeap!.statistics
        print("[kernel] heap refused \(size) bytes at alignment \(alignment): \(s.bytesInUse) in use, \(s.freeBytes) free in \(s.freeBlocks) blocks")
        return 12  // ENOMEM
    }
}

@_cdecl("free")
func free(_ p: UnsafeMutableRawPointer?) {
    guard let p else { return }
    let flags = cpu_flags(); cpu_cli()
    defer { cpu_set_flags(flags) }
    do { try kernelHeap!.free(p) } catch {
        Serial.write("[kernel] free of a pointer the heap did not hand out\n")
    }
}

@_cdecl("putchar")
func putchar(_ c: CInt) -> CInt {
    Serial.write(UInt8(truncatingIfNeeded: c))
    return c
}

@_cdecl("arc4random_buf")
func arc4random_buf(_ buf: UnsafeMutableRawPointer, _ n: Int) {
    for i in 0..<n { buf.storeBytes(of: Entropy.nextByte(), toByteOffset: i, as: UInt8.self) }
}
