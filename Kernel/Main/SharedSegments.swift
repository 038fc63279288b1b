// Shared segments: in-core segments named by capabilities, mapped into any
// process that holds one, and the system calls that create, map and unmap
// them (plus stack segments with a guard page, for the threads a process
// starts).
//
//   eax  call                     arguments
//   20   seg create               ebx = bytes, ecx = 16-byte capability (out);
//                                 creates a zeroed segment, maps it read-write
//                                 into the caller; returns its address
//   21   seg map                  ebx = 16-byte capability, ecx = flags
//                                 (1 = read-only even if the rights allow
//                                 writing); returns the address it is mapped at
//   22   seg unmap                ebx = the address seg create/map returned
//   23   stack segment allocate   ebx = bytes; a read-write segment with an
//                                 unmapped guard page below it
//
// Errors come back as negative Amoeba codes: STD_CAPBAD for a capability
// the segment service did not make (or for a segment that is gone),
// STD_DENIED when it lacks PSR_READ, STD_ARGBAD for a bad size, flag or
// address, STD_NOSPACE / STD_NOMEM when the address space or the page
// allocator is full. A pointer argument outside the caller's segments
// aborts the caller, as for every other call.
//
// The frames of a segment belong to the segment, not to any address space:
// each mapping holds one count (SegmentService), and the frames go back to
// the page allocator when the last mapping goes, by unmap or because the
// mapping process ended (its SegmentMapping objects are released with it).
import AmoebaCore
import KernelCore

/// One mapping of an in-core segment in one process.
final class SegmentMapping {
    let object: ObjectNumber
    let base: UInt32
    let size: UInt32

    init(object: ObjectNumber, base: UInt32, size: UInt32) {
        self.object = object
        self.base = base
        self.size = size
    }

    deinit { SharedSegments.release(object) }
}

enum SharedSegments {
    static var service: SegmentService? = nil
    /// The frames of each live segment, by object number.
    static var frames: [UInt32: [UInt32]] = [:]
    static var pagesReturned = 0

    /// Starts the segment service: its port, and the thread answering std commands.
    static func start() {
        let s = SegmentService(identity: KernelServers.identity()) { KernelServers.randomPort() }
        service = s
        LocalIPC.serve("seg", getPort: s.identity.getPort) { s.handle($0) }
    }

    static func handle(_ process: Process, _ f: InterruptFrame) -> Result<Int32, UserBuffer.Refusal> {
        switch f.eax {
        case 20: return create(process, size: f.ebx, capability: f.ecx)
        case 21: return map(process, capability: f.ebx, flags: f.ecx)
        case 22: return .success(unmap(process, address: f.ebx))
        default: return .success(allocateStack(process, size: f.ebx))
        }
    }

    private static func code(_ e: ErrorCode) -> Int32 { Int32(e.rawValue) }

    private static func create(_ process: Process, size: UInt32, capability: UInt32) -> Result<Int32, UserBuffer.Refusal> {
        let out: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            out = try UserBuffer(address: capability, length: 16).validated(for: process, write: true)
        } catch { return .failure(error) }
        guard let service else { return .success(code(.systemError)) }
        let cap: Capability, segment: InCoreSegment
        switch service.create(size: size) {
        case let .success((c, s)): (cap, segment) = (c, s)
        case let .failure(e): return .success(code(e))
        }
        guard process.mayAdd(pages: Int(segment.size / 4096)) else {   // before taking any frame
            service.unmapped(segment.object)
            return .success(code(.noSpace))
        }
        var pages: [UInt32] = []
        pages.reserveCapacity(Int(segment.size / 4096))
        for _ in 0..<(segment.size / 4096) {
            guard let f = Paging.allocateFrame() else {
                for p in pages { Paging.freeFrame(p) }
                service.unmapped(segment.object)
                return .success(code(.noMemory))
            }
            pages.append(f)
        }
        frames[segment.object.value] = pages
        // Counted as mapped once already: on failure, mapInto's release gives the pages back.
        let result = mapInto(process, object: segment.object, size: segment.size, writable: true)
        if result >= 0 { cap.bytes.withUnsafeBytes { out.copyMemory(from: $0) } }
        return .success(result)
    }

    private static func map(_ process: Process, capability: UInt32, flags: UInt32) -> Result<Int32, UserBuffer.Refusal> {
        let input: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            input = try UserBuffer(address: capability, length: 16).validated(for: process, write: false)
        } catch { return .failure(error) }
        guard let service, let cap = Capability(bytes: Array(input)) else { return .success(code(.capabilityBad)) }
        switch service.map(cap, flags: flags) {
        case let .success(d): return .success(mapInto(process, object: d.object, size: d.size, writable: d.writable))
        case let .failure(e): return .success(code(e))
        }
    }

    /// Maps a segment's frames at a free place in `process`; the count for this
    /// mapping is already taken and is given back here if the mapping fails.
    private static func mapInto(_ process: Process, object: ObjectNumber, size: UInt32, writable: Bool) -> Int32 {
        guard process.mayAdd(pages: Int(size / 4096)), let base = process.segments.freeRange(size: size, below: UInt64(Process.stackTop - Process.stackSize - 0x1000)),
              (try? process.segments.add(SegmentDescriptor(kind: .shared, base: base, size: size, writable: writable))) != nil
        else { release(object); return code(.noSpace) }
        let mapping = SegmentMapping(object: object, base: base, size: size)
        for (i, f) in (frames[object.value] ?? []).enumerated() {
            guard process.space.map(frame: f, at: base + UInt32(i) * 4096, writable: writable) else {
                unmapPages(process, mapping)
                return code(.noMemory)   // `mapping` ends here, and with it the count
            }
        }
        process.mappings.append(mapping)
        process.pages += Int(size / 4096)
        return Int32(bitPattern: base)
    }

    private static func unmap(_ process: Process, address: UInt32) -> Int32 {
        guard let i = process.mappings.firstIndex(where: { $0.base == address }) else { return code(.argumentBad) }
        // Another thread of this process may be blocked in a call whose
        // buffers lie in the segment; the kernel copies into them when the
        // call ends, so unmapping is only done with no other thread around.
        guard process.liveThreads == 1 else { return code(.notNow) }
        unmapPages(process, process.mappings[i])
        process.pages -= Int(process.mappings[i].size / 4096)
        process.mappings.remove(at: i)
        return 0
    }

    private static func unmapPages(_ process: Process, _ m: SegmentMapping) {
        var v = m.base
        while v < m.base + m.size { process.space.unmap(v); v += 4096 }
        _ = process.segments.remove(base: m.base)
    }

    /// A mapping ended: the segment loses one count, and its frames when it was the last.
    static func release(_ object: ObjectNumber) {
        guard let service, service.unmapped(object), let pages = frames.removeValue(forKey: object.value) else { return }
        for p in pages { Paging.freeFrame(p) }
        pagesReturned += pages.count
    }

    /// A thread's stack: read-write, with the unmapped page below it as its
    /// guard (freeRange leaves the page below every new segment unmapped).
    static func allocateStack(_ process: Process, size: UInt32) -> Int32 {
        guard size >= 4096, size <= 1 << 20 else { return code(.argumentBad) }
        do throws(Process.Refusal) {
            return Int32(bitPattern: try process.addFreshSegment(kind: .stack, size: (size + 0xFFF) & ~0xFFF))
        } catch {
            return code(error.code)
        }
    }

    /// What a user page fault at `address` means in terms of segments, when it means more than the raw fault.
    static func describeFault(_ process: Process?, address: UInt32, errorCode: UInt32) -> String? {
        guard let process else { return nil }
        if process.segments.stackGuarded(by: address) != nil {
            return "stack overflow (page fault at \(hex(address)))"
        }
        if errorCode & 2 != 0, let s = process.segments.segment(containing: address), s.kind == .shared, !s.writable {
            return "write to a read-only mapping of a shared segment (page fault at \(hex(address)))"
        }
        return nil
    }
}
