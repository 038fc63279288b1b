// The proc server: a kernel directory entry `proc` through which anyone
// with its capability starts a process here (PS_EXEC) from a process
// descriptor, as Amoeba's kernels do, and then controls it through the
// process capability the exec returns (object 'P'<<16 | slot, its own
// check field): std_info ("Run: comment"), PS_GETCOMMENT/SETCOMMENT,
// PS_GETOWNER/SETOWNER, PS_STUN and std_destroy. It also keeps segments
// a client makes here with PS_SEG_CREATE / PS_SEG_WRITE (StoredSegments),
// which an exec descriptor may name. When the process ends,
// its owner gets PS_CHECKPOINT with the cause (exit, stun, exception) and
// the detail (exit status, stun code, exception number), and the
// descriptor of what it was.
//
// The descriptor is decoded and checked (ExecPlan) on the server thread
// and refused with STD_ARGBAD at once when malformed; the building, whose
// segment reads are transactions to a file server that may be far away or
// down, and the wait for the end and the checkpoint run on a worker
// thread of their own per exec, so neither this server nor the network
// thread ever waits on them.
import AmoebaCore
import KernelCore
import NodeServers
import ProcessDescriptor

final class ProcessSlot {
    let number: Int
    let random: Port
    var process: Process? = nil
    var owner: Capability
    var comment = ""
    /// The stun code when the process was stunned.
    var stunned: Int32? = nil
    let descriptor: ProcessDescriptor
    /// Its segments as a checkpoint names them (object 'S'<<16 | slot<<8 |
    /// index), each with its own check field; readable with BS_READ only
    /// while its owner holds the checkpoint (see ProcessSegments).
    var segments: [SegmentDescriptor] = []
    var segmentChecks: [Port] = []

    init(number: Int, random: Port, owner: Capability, descriptor: ProcessDescriptor) {
        self.number = number
        self.random = random
        self.owner = owner
        self.descriptor = descriptor
    }

    var object: ObjectNumber { ObjectNumber(UInt32(0x50) << 16 | UInt32(number))! }
}

enum ProcessServer {
    static var identity: ServiceIdentity? = nil
    /// Slot 0 is the kernel's own; processes take 1...
    static var slots: [ProcessSlot?] = [nil]
    static let maximumSlots = 64
    /// Execs being built at once, each a worker thread.
    static var building = 0
    static let maximumBuilding = 8
    /// The last exec's cost: time-stamp counts from taking the request to
    /// answering it (decode, segment reads, mapping, thread start; guest
    /// instructions under QEMU's icount), its BS_READs and their bytes.
    static var lastExec = (counts: UInt64(0), reads: 0, bytes: 0)

    /// `ps`: a directory of the running processes, one row per slot
    /// (its number in decimal, the process capability, masks {0xFF, 0, 0}).
    static var list: NodeDirectory? = nil

    static func start(in directory: NodeDirectory) {
        let id = KernelServers.identity()
        identity = id
        try? directory.add("proc", id.capability, masks: [0xFF, 0x3F, 0x3F])
        let ps = NodeDirectory(identity: KernelServers.identity(object: .node))   // a directory is object 1, as the kernel's own
        list = ps
        try? directory.add("ps", ps.identity.capability, masks: [0x3F, 0x02, 0x04])
        LocalIPC.serve("ps", getPort: ps.identity.getPort) { request in
            Message(ps.handle(request.header, request.body))
        }
        LocalIPC.serveTransactions("proc", getPort: id.getPort) { t in
            if let reply = handle(t) { LocalIPC.putReply(t, reply) }
        }
    }

    /// The answer to `t`, or nil when a worker thread will give it.
    static func handle(_ t: Transaction) -> Message? {
        guard let id = identity else { return .status(.commandBad) }
        let h = t.request.header
        if h.private.object == .server {
            guard let rights = id.rights(of: h) else { return .status(.capabilityBad) }
            return serverCommand(t, rights: rights)
        }
        if h.private.object.value >> 16 == ProcessSegments.objectTag {
            return StoredSegments.owns(h.private.object) ? StoredSegments.handle(t) : ProcessSegments.handle(t)
        }
        let n = Int(h.private.object.value & 0xFFFF)
        guard h.private.object.value >> 16 == 0x50, n > 0, n < slots.count, let slot = slots[n],
              h.private.isValid(forRandom: slot.random) else { return .status(.capabilityBad) }
        return processCommand(t, slot, rights: h.private.rights)
    }

    private static func serverCommand(_ t: Transaction, rights: Rights) -> Message? {
        let h = t.request.header
        switch h.command {
        case ProcessCommand.exec.rawValue:
            guard rights.contains(ProcessRights.exec) else { return .status(.denied) }
            return exec(t)
        case ProcessCommand.segmentCreate.rawValue:
            // Any good server capability will do (Amoeba asks for no right).
            return StoredSegments.create(t)
        case ProcessCommand.getDefaults.rawValue:
            var r = Header.status(.ok)
            r.size = ProcessDefaults.pageShift
            r.extra = ProcessDefaults.firstUserClick
            r.offset = ProcessDefaults.lastUserClickPlusOne
            return Message(header: r)
        case ProcessCommand.getLoad.rawValue:
            var r = Header.status(.ok)
            r.extra = 100                                             // KIPS: a TCG guest, roughly
            r.size = UInt16(min(Scheduler.threadCount, 63) * 1024 / 64)
            r.offset = Int32(truncatingIfNeeded: (Kernel.pages?.freeCount ?? 0) * 4096)
            return Message(header: r)
        case StandardCommand.info:
            return text("process/segment server")
        case StandardCommand.restrict:
            return Message(header: identity!.restrictReply(h))
        default:
            return .status(.commandBad)
        }
    }

    private static func processCommand(_ t: Transaction, _ slot: ProcessSlot, rights: Rights) -> Message? {
        let h = t.request.header
        switch h.command {
        case StandardCommand.info:
            let state = slot.stunned != nil ? "Stp" : slot.process.map { $0.ending == .running } ?? true ? "Run" : "Die"
            return text(slot.comment.isEmpty ? state : state + ": " + slot.comment)
        case ProcessCommand.getComment.rawValue:
            var r = Header.status(.ok)
            let body = Array(slot.comment.utf8) + [0]
            r.size = UInt16(body.count)
            return Message(header: r, body: body)
        case ProcessCommand.setComment.rawValue:
            guard rights.contains(ProcessRights.kill) else { return .status(.denied) }
            var text = ""
            for b in t.request.body.prefix(ProcessDefaults.commentLength) where b != 0 { text.append(Character(Unicode.Scalar(b))) }
            slot.comment = text
            return .status(.ok)
        case ProcessCommand.getOwner.rawValue:
            var r = Header.status(.ok)
            var owner = slot.owner
            if !rights.contains(ProcessRights.kill) {
                owner = (try? Restriction.restrict(owner, to: Rights(rawValue: 0))) ?? .null
            }
            r.port = owner.port
            r.private = owner.private
            return Message(header: r)
        case ProcessCommand.setOwner.rawValue:
            guard rights.contains(ProcessRights.kill) else { return .status(.denied) }
            guard t.request.body.count == 16, let owner = Capability(bytes: t.request.body) else { return .status(.argumentBad) }
            slot.owner = owner
            return .status(.ok)
        case ProcessCommand.stun.rawValue, StandardCommand.destroy:
            guard rights.contains(ProcessRights.kill) else { return .status(.denied) }
            guard t.request.body.isEmpty else { return .status(.argumentBad) }
            guard let p = slot.process, p.ending == .running, slot.stunned == nil else { return .status(.notNow) }
            let code = h.command == StandardCommand.destroy ? 9 : h.offset
            slot.stunned = code
            // A stun stops every thread where it can go on (Stun); a destroy
            // or an emergency stun (negative code) ends it at once.
            if h.command == ProcessCommand.stun.rawValue && code >= 0 {
                _ = Stun.stop(p)
            } else {
                Interrupts.withDisabled { Signals.terminate(p, "stunned (code \(code))") }
            }
            return .status(.ok)
        default:
            return .status(.commandBad)
        }
    }

    private static func text(_ s: String) -> Message {
        var r = Header.status(.ok)
        let body = Array(s.utf8)
        r.size = UInt16(body.count)
        return Message(header: r, body: body)
    }

    // MARK: exec

    private static func exec(_ t: Transaction) -> Message? {
        let taken = cpu_rdtsc()
        let body = t.request.body
        guard body.count <= ProcessDefaults.requestBufferSize else { return .status(.argumentBad) }
        let pd: ProcessDescriptor
        do throws(DescriptorError) { pd = try ProcessDescriptor.decode(body) } catch { return .status(.argumentBad) }
        let plan: ExecPlan
        do throws(ExecRefusal) {
            plan = try ExecPlan(pd, userBase: SegmentTable.userBase, userEnd: SegmentTable.userEnd,
                                maximumPages: Limits.pagesPerProcess)
        } catch { return .status(.argumentBad) }
        guard building < maximumBuilding, let n = freeSlot() else { return .status(.noSpace) }
        let slot = ProcessSlot(number: n, random: KernelServers.randomPort(), owner: pd.owner, descriptor: pd)
        guard let worker = KThread(name: "exec", priority: Priority(process: .high), preemptible: false,
                                   body: { run(slot, plan, reply: t, taken: taken) }) else { return .status(.noMemory) }
        slots[n] = slot
        building += 1
        Scheduler.start(worker)
        return nil
    }

    private static func freeSlot() -> Int? {
        for i in 1..<slots.count where slots[i] == nil { return i }
        guard slots.count < maximumSlots else { return nil }
        slots.append(nil)
        return slots.count - 1
    }

    /// The worker: build, answer the exec, wait for the end, tell the owner.
    private static func run(_ slot: ProcessSlot, _ plan: ExecPlan, reply t: Transaction, taken: UInt64) {
        let p: Process
        var cost = Process.ExecCost()
        let started = Clock.now()
        do throws(Process.ExecFailure) {
            p = try Process.exec(plan, name: "proc:\(slot.number)", cost: &cost)
        } catch {
            building -= 1
            slots[slot.number] = nil
            if case let .read(segment, code) = error {
                print("[proc] exec refused: segment \(segment) could not be read: \(code.name)")
            }
            LocalIPC.putReply(t, .status(error.code))
            return
        }
        building -= 1
        slot.process = p
        var r = Header.status(.ok)
        let cap = Capability(port: identity!.putPort,
                             private: PrivatePart(object: slot.object, rights: .all, random: slot.random))
        r.port = cap.port
        r.private = cap.private
        LocalIPC.putReply(t, Message(header: r))
        lastExec = (cpu_rdtsc() &- taken, cost.reads, cost.bytes)
        let took = (Clock.now() - started).microseconds
        print("[proc] process \(p.id) started in slot \(slot.number): \(cost.bytes) bytes in \(cost.reads) BS_READs, \(took) us")
        try? list?.add("\(slot.number)", cap)
        _ = p.finished.down()
        list?.remove("\(slot.number)")
        checkpoint(slot, p)
        slot.process = nil
        slots[slot.number] = nil
    }

    /// PS_CHECKPOINT to the owner: cause and detail, and the descriptor
    /// (its segments; on a stun or exception also the thread with its
    /// registers). The process is gone whatever the owner answers.
    private static func checkpoint(_ slot: ProcessSlot, _ p: Process) {
        guard !slot.owner.port.isNull else { return }
        var pd = slot.descriptor
        pd.me = .null
        pd.threads = []
        let cause: TerminationCause
        let detail: Int32
        if let code = slot.stunned {
            cause = .stunned
            detail = code
        } else if case let .exited(status) = p.ending {
            cause = .normal
            detail = status
        } else {
            cause = .exception
            let frame = p.exception?.frame ?? I386ThreadState()
            detail = p.exception?.number ?? ExceptionNumber.system.rawValue
            pd.threads = [ThreadDescriptor(state: [.exception], extra: [.kernelState, .userState],
                                           kernelState: ThreadKernelState(signal: detail), userState: frame.bytes)]
        }
        if cause == .stunned {
            // The threads as the stun stopped them; a destroy or an emergency
            // stun stopped nothing, and its one record carries no registers.
            let frames = p.stoppedThreads.isEmpty ? [I386ThreadState()] : p.stoppedThreads
            pd.threads = frames.map {
                ThreadDescriptor(state: [.stunned], extra: [.kernelState, .userState],
                                 kernelState: ThreadKernelState(signal: detail), userState: $0.bytes)
            }
        }
        // Its memory as it is now, readable by the owner (and by a kernel
        // the owner asks to exec it) until the owner answers.
        pd.segments = ProcessSegments.publish(slot, p)
        let body = pd.encoded()
        var h = Header(capability: slot.owner, command: ProcessCommand.checkpoint.rawValue)
        h.extra = cause.rawValue
        h.offset = detail
        h.size = UInt16(body.count)
        let reply = LocalIPC.trans(Message(header: h, body: body))
        ProcessSegments.withdraw(slot)
        print("[proc] checkpoint of slot \(slot.number) (cause \(cause.rawValue), detail \(detail)) to its owner: \(reply.header.status.name)")
    }

    /// Called by the fault path of the running thread's process: what the
    /// CPU reported, kept for the checkpoint.
    static func noteException(_ f: InterruptFrame, faultAddress: UInt32) {
        guard let p = Scheduler.current?.process, p.exception == nil else { return }
        let number: ExceptionNumber
        switch f.vector {
        case 0: number = .divide
        case 1, 3: number = .breakpoint
        case 6: number = .instruction
        case 7, 16, 19: number = .floatingPoint
        case 13: number = .access
        case 14: number = .memory
        case 17: number = .odd
        default: number = .illegal
        }
        let words: [UInt32] = [0, f.gs, f.fs, f.es, f.ds, f.edi, f.esi, f.ebp, faultAddress, f.ebx, f.edx, f.ecx, f.eax,
                               f.vector, f.errorCode, f.eip, f.cs, f.eflags, f.userESP, f.userSS]
        p.exception = (number.rawValue, I386ThreadState(words: words))
    }
}
