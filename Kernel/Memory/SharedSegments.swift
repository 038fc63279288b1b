// Shared segments: in-core segments named by capabilities, mapped into any
// process that holds one (SystemCall.createSegment, .mapSegment,
// .unmapSegment, served by SegmentCalls), and stack segments with a guard
// page for the threads a process starts.
//
// Refusals are Amoeba codes: STD_CAPBAD for a capability the segment
// service did not make (or for a segment that is gone), STD_DENIED when it
// lacks PSR_READ, STD_ARGBAD for a bad size, flag or address, STD_NOSPACE /
// STD_NOMEM when the address space or the page allocator is full.
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

    /// A zeroed segment of `size` bytes, mapped read-write into `process`:
    /// its address and owner capability.
    static func create(_ process: Process, size: UInt32) throws(ErrorCode) -> (address: UInt32, capability: Capability) {
        guard let service else { throw .systemError }
        let cap: Capability, segment: InCoreSegment
        switch service.create(size: size) {
        case let .success((c, s)): (cap, segment) = (c, s)
        case let .failure(e): throw e
        }
        guard process.mayAdd(pages: Int(segment.size / 4096)) else {   // before taking any frame
            service.unmapped(segment.object)
            throw .noSpace
        }
        guard let pages = Paging.allocateFrames(Int(segment.size / 4096)) else {
            service.unmapped(segment.object)
            throw .noMemory
        }
        frames[segment.object.value] = pages
        // Counted as mapped once already: on failure, mapInto's release gives the pages back.
        return (try mapInto(process, object: segment.object, size: segment.size, writable: true), cap)
    }

    /// Maps the segment `cap` names into `process`; its address.
    static func map(_ process: Process, _ cap: Capability?, flags: UInt32) throws(ErrorCode) -> UInt32 {
        guard let service, let cap else { throw .capabilityBad }
        switch service.map(cap, flags: flags) {
        case let .success(d): return try mapInto(process, object: d.object, size: d.size, writable: d.writable)
        case let .failure(e): throw e
        }
    }

    /// Maps a segment's frames at a free place in `process`; the count for this
    /// mapping is already taken and is given back here if the mapping fails.
    private static func mapInto(_ process: Process, object: ObjectNumber, size: UInt32, writable: Bool) throws(ErrorCode) -> UInt32 {
        guard process.mayAdd(pages: Int(size / 4096)), let base = process.segments.freeRange(size: size, below: UInt64(Process.stackTop - Process.stackSize - 0x1000)),
              (try? process.segments.add(SegmentDescriptor(kind: .shared, base: base, size: size, writable: writable))) != nil
        else { release(object); throw .noSpace }
        let mapping = SegmentMapping(object: object, base: base, size: size)
        for (i, f) in (frames[object.value] ?? []).enumerated() {
            guard process.space.map(frame: f, at: base + UInt32(i) * 4096, writable: writable) else {
                unmapPages(process, mapping)
                throw .noMemory   // `mapping` ends here, and with it the count
            }
        }
        process.mappings.append(mapping)
        process.pages += Int(size / 4096)
        return base
    }

    /// Unmaps the mapping at `address` that create or map made.
    static func unmap(_ process: Process, address: UInt32) throws(ErrorCode) {
        guard let i = process.mappings.firstIndex(where: { $0.base == address }) else { throw .argumentBad }
        // Another thread of this process may be blocked in a call whose
        // buffers lie in the segment; the kernel copies into them when the
        // call ends, so unmapping is only done with no other thread around.
        guard process.liveThreads == 1 else { throw .notNow }
        unmapPages(process, process.mappings[i])
        process.pages -= Int(process.mappings[i].size / 4096)
        process.mappings.remove(at: i)
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
