// A user program that runs into the kernel's limits on purpose, one way
// per argument, so `scenario=limits` can check that each ends in a clean
// refusal to this process and never in a kernel stop:
//   1  thread storm: threads until the per-process limit (STD_NOSPACE)
//   2  the same with the kernel heap nearly full (STD_NOMEM)
//   3  empty buffers at any address (null too) and messages over MAX_TRANS
//   4  a segment whose mapping fails half-way: refused, undone, and a
//      later system call pointing into where it was aborts this process
import AmoebaCore
import KernelCore

@_cdecl("storm_thread")
func stormThread(_ argument: UInt32) {
    while true { Amoeba.sleep(microseconds: 10_000) }
}

var failures = 0

func check(_ ok: Bool, _ what: String) {
    if !ok { failures += 1; print("limits: FAILED \(what)") }
}

/// Starts sleeping threads until the kernel refuses one: how many, and the code.
func storm() -> (Int, Int32) {
    var started = 0
    let pc = UInt32(UInt(bitPattern: unsafeBitCast(stormThread as @convention(c) (UInt32) -> Void, to: UnsafeRawPointer.self)))
    while started < 1000 {
        guard let stack = Segments.allocateStack(8192) else { return (started, -1) }
        let r = systemCall(.createThread, pc, Amoeba.address(UnsafeRawPointer(stack)) + 8192, 0, 0, 0)
        if r < 0 { return (started, r) }
        started += 1
    }
    return (started, 0)
}

func emptyBuffers() {
    guard let tod = Amoeba.lookup("tod") else { check(false, "tod"); return }
    withUnsafeTemporaryAllocation(byteCount: 32, alignment: 16) { b in
        let hp = b.baseAddress!
        // Request and reply both empty, at address 0 and at a kernel address.
        RawHeader.store(Header(capability: tod, command: 2400), to: hp)
        let n = systemCall(.trans, Amoeba.address(hp), 0, 0, 0x0010_0000, 0)
        let h = RawHeader.load(from: hp)
        print("limits: trans with empty buffers at null and kernel addresses: \(n), \(h.status.name)")
        check(n == 0 && h.status == .ok, "empty buffers accepted anywhere")
    }
    // A request one byte over the protocol's limit, and one at it.
    let big = [UInt8](repeating: 0x41, count: 30_001)
    var h = Header(capability: tod, command: 2400)
    let (over, _) = Amoeba.trans(h, big)
    h = Header(capability: tod, command: 2400)
    let (at, _) = Amoeba.trans(h, Array(big.dropLast()))
    print("limits: request of 30001 bytes: \(over.status.name); of 30000: \(at.status.name)")
    check(over.status == .argumentBad && at.status == .ok, "messages capped at MAX_TRANS")
}

func halfMappedSegment() -> Int32 {
    // Fill the machine's memory with shared segments (which can be unmapped
    // again), 1 MiB ones then 64 KiB ones, and give the last one back:
    // fewer than 32 pages are free then.
    var held: [(UnsafeMutableRawPointer, UInt32)] = []
    for size: UInt32 in [1 << 20, 64 << 10] {
        var refusal = ErrorCode.ok
        while refusal == .ok {
            switch Segments.create(size) {
            case let .success((p, _)): held.append((p, size))
            case let .failure(e): refusal = e
            }
        }
        check(refusal == .noMemory, "memory filled with \(size)-byte segments, then \(refusal.name)")
    }
    // What the 1 MiB segments left may have been under 64 KiB, so that no
    // 64 KiB one fitted (it depends on the kernel image's size): then trade
    // the last 1 MiB segment for 64 KiB ones, so that the one given back
    // below is small.
    if let (p, size) = held.last, size == 1 << 20 {
        held.removeLast()
        check(Segments.unmap(p) == .ok, "unmap")
        while case let .success((p, _)) = Segments.create(64 << 10) { held.append((p, 64 << 10)) }
    }
    guard let (last, _) = held.popLast(), let (below, belowSize) = held.last else { check(false, "held"); return 1 }
    check(Segments.unmap(last) == .ok, "unmap")
    let top = Amoeba.address(UnsafeRawPointer(below)) + belowSize
    // A data segment and a stack too large for what is free: each mapping
    // fails part-way.
    let failed = systemCall(.allocateSegment, 2 << 20, 0, 0, 0, 0)
    let stack = systemCall(.allocateStack, 1 << 20, 0, 0, 0, 0)
    // Undone: the place and the pages are free again, so one page fits there.
    let small = systemCall(.allocateSegment, 4096, 0, 0, 0, 0)
    let undone = UInt32(bitPattern: small) == top + 4096
    print("limits: memory full after \(held.count) segments; 2 MiB segment: \(ErrorCode(rawValue: Int16(truncatingIfNeeded: failed)).name), 1 MiB stack: \(ErrorCode(rawValue: Int16(truncatingIfNeeded: stack)).name), undone=\(undone)")
    check(failed == -1006 && stack == -1006, "segments whose mapping fails part-way are refused with STD_NOMEM")
    check(undone, "the failed segments left nothing behind")
    Console.flush()
    // Where the failed segment's last page would have been: the kernel must
    // refuse the pointer (aborting this process), not copy there.
    withUnsafeTemporaryAllocation(byteCount: 32, alignment: 16) { b in
        _ = systemCall(.trans, top + (2 << 20), Amoeba.address(UnsafeRawPointer(b.baseAddress!)), 0, 0, 0)
    }
    print("limits: still running after a trans into a failed segment")
    return 1
}

func programMain(_ argument: UInt32) -> Int32 {
    switch argument {
    case 1, 2:
        let (started, code) = storm()
        print("limits: thread storm: \(started) threads, then \(ErrorCode(rawValue: Int16(truncatingIfNeeded: code)).name)")
        check(code == (argument == 1 ? -1004 : -1006), "the storm ends in a refusal")
    case 3: emptyBuffers()
    case 4: return halfMappedSegment()
    default: return 9
    }
    print("limits: \(failures) failures")
    return failures == 0 ? 0 : 1
}
