// Building a process from a PS_EXEC descriptor: every segment the plan
// names is mapped at its address with fresh zeroed pages, and filled from
// its capability with BS_READ transactions, local or over the network
// (whatever the file does not cover stays zero; a null capability is
// BSS); text is mapped read-only. Runs on the proc server's worker thread,
// never on the network thread, since its reads are transactions of its
// own. All or nothing: on any failure the half-built address space goes
// with the Process value, and nothing was started.
import AmoebaCore
import KernelCore
import ProcessDescriptor

extension Process {
    enum ExecFailure: Error {
        case memory
        /// The segment's source answered (or failed) with this code.
        case read(segment: Int, ErrorCode)

        var code: ErrorCode {
            switch self {
            case .memory: .noMemory
            case let .read(_, code): code
            }
        }
    }

    /// BS_READ (Bullet's read, also the segment server's) and STD_DESTROY.
    static let bulletRead: UInt16 = 2006
    /// The most a BS_READ asks for at once: under the 30000-byte RPC limit.
    static let readChunk = 28 * 1024

    /// What an exec cost: its BS_READ transactions and the bytes they brought.
    struct ExecCost {
        var reads = 0
        var bytes = 0
    }

    static func exec(_ plan: ExecPlan, name: String, priority: PriorityLevel = .normal,
                     cost: inout ExecCost) throws(ExecFailure) -> Process {
        guard let space = AddressSpace() else { throw .memory }
        let p = Process(name: name, space: space, priority: priority)
        for piece in plan.pieces {
            do throws(SegmentError) {
                try p.segments.add(SegmentDescriptor(kind: piece.growsDown ? .stack : piece.writable ? .data : .text, base: piece.address,
                                                     size: piece.length, writable: piece.writable))
            } catch { throw .memory }   // the plan ruled out overlaps; a table limit is left
            var v = piece.address
            while v < piece.address + piece.length {
                guard space.mapNew(v, writable: piece.writable) else { throw .memory }
                v += 4096
            }
            if !piece.source.port.isNull { try fill(space, piece, cost: &cost) }
        }
        // A new process's one thread starts at the entry point; a continued
        // one's threads where they were stopped.
        var threads: [KThread] = []
        for i in 0..<max(1, plan.continued.count) {
            guard let t = KThread(name: name, priority: Priority(process: priority, thread: .normal), preemptible: true, body: {})
            else { throw .memory }
            t.body = nil
            if plan.continued.isEmpty {
                t.userEntry = (plan.pc, plan.sp)
            } else {
                guard let fx = Stun.floatingPointImage(plan.continued[i]) else { throw .memory }
                t.resumeFX = fx
                var r = UserRegisters(plan.continued[i])
                r.floatingPoint = UInt32(UInt(bitPattern: fx))
                t.resume = r
            }
            t.process = p
            threads.append(t)
        }
        p.liveThreads = threads.count
        p.threads = threads
        for t in threads { Scheduler.start(t) }
        return p
    }

    /// Reads the piece's contents from its source, chunk by chunk, until
    /// its length or the end of the file.
    private static func fill(_ space: AddressSpace, _ piece: ExecPlan.Piece, cost: inout ExecCost) throws(ExecFailure) {
        var done = 0
        let want = Int(min(piece.sourceLength, piece.length))
        while done < want {
            let n = min(readChunk, want - done)
            var h = Header(capability: piece.source, command: bulletRead)
            h.offset = piece.offset &+ Int32(done)
            h.size = UInt16(n)
            let reply = LocalIPC.trans(Message(header: h))
            cost.reads += 1
            cost.bytes += reply.body.count
            guard reply.header.status == .ok else { throw .read(segment: piece.segment, reply.header.status) }
            let got = min(reply.body.count, n)
            if got == 0 { break }   // end of file: the rest stays zero
            guard reply.body.withUnsafeBytes({ space.write(UnsafeRawBufferPointer(rebasing: $0[0..<got]),
                                                           at: piece.address + UInt32(done)) })
            else { throw .memory }
            done += got
            if got < n { break }
        }
        if piece.destroySource {
            _ = LocalIPC.trans(Message(header: Header(capability: piece.source, command: StandardCommand.destroy)))
        }
    }
}
