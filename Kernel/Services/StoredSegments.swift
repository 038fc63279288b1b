// Segments a client makes on the node itself (PS_SEG_CREATE) and fills
// (PS_SEG_WRITE), as Amoeba's process/segment server keeps them: memory
// that belongs to no process, named by a capability on the proc server's
// port (object 'S'<<16 | index, slot byte 0, which no process has, so
// these never collide with a checkpoint's segments), read with BS_READ and
// BS_SIZE, and gone with STD_DESTROY. Its use is the one ax has for it:
// build a program's stack on the node that will run it, instead of
// shipping it through a file server, and name it in the PS_EXEC
// descriptor with AND_DESTROY, so the exec's own reads copy it into the
// process and then destroy it.
//
// Refusals follow Amoeba's segment server (proc.c, seg.c): a capability
// that is not the server's, or a segment capability lacking the right the
// command needs, is STD_CAPBAD (Amoeba's seg_getprv finds no segment
// then); a size of zero or less, a write offset outside the segment, or
// request data longer than h_size is STD_ARGBAD; memory that cannot be had
// is STD_NOSPACE. Sizes are rounded up to whole pages, as Amoeba's clicks.
// A refused create leaves nothing allocated. Since nothing else bounds
// what strangers on the network may ask the node to hold, these segments
// are bounded here: at most `maximumSegments` of them and
// `maximumPages` pages in all.
//
// PS_SEG_CREATE with a capability in its data clones that segment or file
// (its first `size` bytes, read from offset 0, zero past its end). The
// reads are transactions that may go to another node, so they run on a
// worker thread, as an exec's do, and the proc server thread goes on.
import AmoebaCore
import KernelCore
import ProcessDescriptor

final class StoredSegment {
    let random: Port
    /// Whole pages, zeroed when taken.
    let frames: [UInt32]
    /// False while a clone's contents are still being read: not usable yet.
    var ready = true
    var size: UInt32 { UInt32(frames.count) * 4096 }

    init(random: Port, frames: [UInt32]) {
        self.random = random
        self.frames = frames
    }

    /// Copies `bytes` into the segment at `offset` (the caller has
    /// checked the range).
    func copy(in bytes: UnsafeRawBufferPointer, at offset: Int) {
        forEachPiece(at: offset, count: bytes.count) { page, done, n in
            page.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
        }
    }

    func bytes(at offset: Int, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { b in
            forEachPiece(at: offset, count: count) { page, done, n in
                (b.baseAddress! + done).copyMemory(from: page, byteCount: n)
            }
        }
        return out
    }

    /// The range `offset ..< offset + count` page by page: where it lies in
    /// its frame, how far into the range it starts, and how many bytes.
    private func forEachPiece(at offset: Int, count: Int, _ body: (UnsafeMutableRawPointer, Int, Int) -> Void) {
        var done = 0
        while done < count {
            let at = offset + done
            let n = min(count - done, 4096 - at % 4096)
            body(UnsafeMutableRawPointer(bitPattern: UInt(frames[at / 4096]) + UInt(at % 4096))!, done, n)
            done += n
        }
    }
}

enum StoredSegments {
    static var segments: [StoredSegment?] = []
    static let maximumSegments = 64
    /// 16 MiB in all.
    static let maximumPages = 4096
    static var pagesHeld = 0
    /// Clones being read at once (each a worker thread).
    static var cloning = 0
    static let maximumCloning = 4
    /// The most one PS_SEG_WRITE takes: the server's request buffer (PSVR_BUFSZ);
    /// Amoeba's getreq cuts a longer request there, and the reply says how much went in.
    static let maximumWrite = ProcessDefaults.requestBufferSize
    /// The most one BS_READ returns (the RPC limit).
    static let maximumRead = 30000

    static func object(_ index: Int) -> ObjectNumber { ObjectNumber(ProcessSegments.objectTag << 16 | UInt32(index))! }

    /// Whether `object` names one of these (slot byte 0).
    static func owns(_ object: ObjectNumber) -> Bool {
        object.value >> 16 == ProcessSegments.objectTag && object.value >> 8 & 0xFF == 0
    }

    // MARK: PS_SEG_CREATE (on the server capability; the caller checked it)

    /// The answer, or nil when a clone's worker will give it.
    static func create(_ t: Transaction) -> Message? {
        let h = t.request.header
        guard h.offset > 0 else { return .status(.argumentBad) }
        var source: Capability? = nil
        if !t.request.body.isEmpty {
            guard t.request.body.count >= 16, let cap = Capability(bytes: Array(t.request.body.prefix(16)))
            else { return .status(.argumentBad) }
            source = cap
        }
        // Bounded before any arithmetic: Int is 32 bits here, and a size
        // near Int32.max rounded up to pages would overflow (a trap).
        guard Int64(h.offset) <= Int64(maximumPages - pagesHeld) * 4096 else { return .status(.noSpace) }
        let pages = (Int(h.offset) + 4095) / 4096
        guard let index = freeIndex() else { return .status(.noSpace) }
        if source != nil && cloning >= maximumCloning { return .status(.noSpace) }
        guard let frames = Paging.allocateFrames(pages) else { return .status(.noSpace) }
        let segment = StoredSegment(random: KernelServers.randomPort(), frames: frames)
        guard let source else { return .status(.ok).carrying(register(segment, at: index)) }
        // Held (index and pages) while the clone is read, so nothing else takes them.
        segment.ready = false
        segments[index] = segment
        pagesHeld += pages
        cloning += 1
        let size = Int(h.offset)
        guard let worker = KThread(name: "segclone", priority: Priority(process: .high), preemptible: false,
                                   body: { clone(segment, index: index, from: source, size: size, reply: t) })
        else {
            cloning -= 1
            release(index)
            return .status(.noMemory)
        }
        Scheduler.start(worker)
        return nil
    }

    private static func freeIndex() -> Int? {
        for i in segments.indices where segments[i] == nil { return i }
        guard segments.count < maximumSegments else { return nil }
        segments.append(nil)
        return segments.count - 1
    }

    /// Files the segment under `index` and makes its capability (all rights).
    private static func register(_ segment: StoredSegment, at index: Int) -> Capability {
        if segments[index] == nil { pagesHeld += segment.frames.count }
        segments[index] = segment
        return Capability(port: ProcessServer.identity!.putPort,
                          private: PrivatePart(object: object(index), rights: .all, random: segment.random))
    }

    /// The clone's worker: BS_READs of the source, then the answer.
    private static func clone(_ segment: StoredSegment, index: Int, from source: Capability, size: Int, reply t: Transaction) {
        defer { cloning -= 1 }
        var done = 0
        while done < size {
            var h = Header(capability: source, command: Process.bulletRead)
            h.offset = Int32(done)
            h.size = UInt16(min(Process.readChunk, size - done))
            let r = LocalIPC.trans(Message(header: h))
            guard r.header.status == .ok else {
                release(index)
                // Amoeba turns a positive (non-error) status into STD_SYSERR.
                LocalIPC.putReply(t, .status(r.header.status.rawValue > 0 ? .systemError : r.header.status))
                return
            }
            let got = min(r.body.count, Int(h.size))
            if got == 0 { break }
            r.body.withUnsafeBytes { segment.copy(in: UnsafeRawBufferPointer(rebasing: $0[0..<got]), at: done) }
            done += got
        }
        segment.ready = true
        LocalIPC.putReply(t, Message.status(.ok).carrying(register(segment, at: index)))
    }

    /// Frees the segment under `index` (destroyed, or a clone that failed).
    private static func release(_ index: Int) {
        guard index < segments.count, let s = segments[index] else { return }
        for f in s.frames { Paging.freeFrame(f) }
        pagesHeld -= s.frames.count
        segments[index] = nil
    }

    // MARK: commands on a segment capability

    /// Only a registered segment's capability with every right in `needed` finds it.
    private static func find(_ h: Header, needing needed: Rights) -> StoredSegment? {
        let i = Int(h.private.object.value & 0xFF)
        guard i < segments.count, let s = segments[i], s.ready, h.private.isValid(forRandom: s.random),
              h.private.rights.contains(needed) else { return nil }
        return s
    }

    static func handle(_ t: Transaction) -> Message {
        let h = t.request.header
        let index = Int(h.private.object.value & 0xFF)
        switch h.command {
        case ProcessCommand.segmentWrite.rawValue:
            guard let s = find(h, needing: ProcessRights.write) else { return .status(.capabilityBad) }
            let n = min(t.request.body.count, maximumWrite)
            guard Int(h.size) >= n else { return .status(.argumentBad) }
            guard h.offset >= 0, Int(h.offset) < Int(s.size) else { return .status(.argumentBad) }
            let count = min(n, Int(s.size) - Int(h.offset))
            t.request.body.withUnsafeBytes { s.copy(in: UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: Int(h.offset)) }
            var r = Header.status(.ok)
            r.size = UInt16(count)
            return Message(header: r)
        case Process.bulletRead:
            guard let s = find(h, needing: ProcessRights.read) else { return .status(.capabilityBad) }
            guard Int(h.size) <= maximumRead else { return .status(.argumentBad) }
            // Amoeba: an offset outside the segment is STD_COMBAD, its very end reads nothing.
            guard h.offset >= 0, Int(h.offset) <= Int(s.size) else { return .status(.commandBad) }
            let body = s.bytes(at: Int(h.offset), count: min(Int(h.size), Int(s.size) - Int(h.offset)))
            var r = Header.status(.ok)
            r.size = UInt16(body.count)
            return Message(header: r, body: body)
        case ProcessSegments.bulletSize:
            guard let s = find(h, needing: ProcessRights.read) else { return .status(.capabilityBad) }
            var r = Header.status(.ok)
            r.offset = Int32(s.size)
            return Message(header: r)
        case StandardCommand.info:
            guard find(h, needing: []) != nil else { return .status(.capabilityBad) }
            return .text("in-core segment")
        case StandardCommand.destroy:
            guard find(h, needing: ProcessRights.delete) != nil else { return .status(.capabilityBad) }
            release(index)
            return .status(.ok)
        case StandardCommand.restrict:
            guard let s = find(h, needing: []) else { return .status(.capabilityBad) }
            let mask = Rights(rawValue: UInt8(truncatingIfNeeded: h.offset))
            var r = Header.status(.ok)
            r.port = ProcessServer.identity!.putPort
            r.private = PrivatePart(object: object(index), rights: h.private.rights.intersection(mask), random: s.random)
            return Message(header: r)
        default:
            return .status(.commandBad)
        }
    }

    /// Pages and segments held, for the scenario and std_status.
    static var report: String { "\(segments.compactMap { $0 }.count) stored segments, \(pagesHeld) pages" }
}

extension Message {
    /// This reply with `cap` in its header (h_port, h_priv), as a create answers.
    func carrying(_ cap: Capability) -> Message {
        var m = self
        m.header.port = cap.port
        m.header.private = cap.private
        return m
    }
}
