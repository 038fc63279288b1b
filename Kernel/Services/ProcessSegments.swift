// A checkpointed process's segments, served by the proc server as
// Amoeba's segment server serves them: while the owner holds the
// checkpoint, each segment the descriptor lists has a capability on the
// proc server's port (object 'S'<<16 | slot<<8 | index, its own check
// field) on which BS_READ reads its bytes, BS_SIZE tells its size and
// std_info says "in-core segment". That is what lets a migrating tool
// hand the descriptor to another kernel's PS_EXEC, whose worker reads the
// memory straight from here. Once the owner has answered, the
// capabilities are withdrawn (STD_CAPBAD) and the pages go with the
// process.
import AmoebaCore
import KernelCore
import ProcessDescriptor

enum ProcessSegments {
    /// 'S', the object number's top byte.
    static let objectTag: UInt32 = 0x53
    /// BS_SIZE.
    static let bulletSize: UInt16 = 2007
    /// The most a BS_READ returns at once (the RPC limit).
    static let maximumRead = 30000

    /// The segment descriptors for `p`'s checkpoint, each with a fresh capability.
    static func publish(_ slot: ProcessSlot, _ p: Process) -> [ProcessSegment] {
        guard let id = ProcessServer.identity else { return [] }
        slot.segments = Array(p.segments.segments.prefix(256))
        slot.segmentChecks = slot.segments.map { _ in KernelServers.randomPort() }
        var out: [ProcessSegment] = []
        for (i, s) in slot.segments.enumerated() {
            let object = ObjectNumber(objectTag << 16 | UInt32(slot.number) << 8 | UInt32(i))!
            let cap = Capability(port: id.putPort, private: PrivatePart(object: object, rights: .all, random: slot.segmentChecks[i]))
            var type: SegmentType = s.writable ? [.data, .readWrite] : [.text, .readOnly]
            if s.kind == .stack { type.insert(.growDown) }
            out.append(ProcessSegment(capability: cap, offset: 0, address: s.base, length: s.size, type: type))
        }
        return out
    }

    static func withdraw(_ slot: ProcessSlot) {
        slot.segments = []
        slot.segmentChecks = []
    }

    /// A command on a segment capability (the server thread: never blocks).
    static func handle(_ t: Transaction) -> Message {
        let h = t.request.header
        let object = h.private.object.value
        let n = Int(object >> 8 & 0xFF), i = Int(object & 0xFF)
        guard n > 0, n < ProcessServer.slots.count, let slot = ProcessServer.slots[n], i < slot.segmentChecks.count,
              h.private.isValid(forRandom: slot.segmentChecks[i]), let space = slot.process?.space
        else { return .status(.capabilityBad) }
        let segment = slot.segments[i]
        switch h.command {
        case Process.bulletRead:
            guard h.private.rights.contains(ProcessRights.read) else { return .status(.denied) }
            guard h.offset >= 0, UInt32(h.offset) <= segment.size, Int(h.size) <= maximumRead else { return .status(.argumentBad) }
            let count = min(Int(h.size), Int(segment.size - UInt32(h.offset)))
            let body = read(space, at: segment.base + UInt32(h.offset), count: count)
            var r = Header.status(.ok)
            r.size = UInt16(body.count)
            return Message(header: r, body: body)
        case bulletSize:
            var r = Header.status(.ok)
            r.offset = Int32(bitPattern: segment.size)
            return Message(header: r)
        case StandardCommand.info:
            var r = Header.status(.ok)
            let body = Array("in-core segment".utf8)
            r.size = UInt16(body.count)
            return Message(header: r, body: body)
        default:
            return .status(.commandBad)
        }
    }

    /// Bytes of the process's memory; a page not mapped reads as zeros.
    private static func read(_ space: AddressSpace, at address: UInt32, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        out.withUnsafeMutableBytes { b in
            while done < count {
                let v = address + UInt32(done)
                let n = min(count - done, 4096 - Int(v & 0xFFF))
                if let p = space.physical(v) { (b.baseAddress! + done).copyMemory(from: p, byteCount: n) }
                done += n
            }
        }
        return out
    }
}
