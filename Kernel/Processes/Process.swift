// A protected process: an address space built from segments (text
// read-only, data read-write, a stack), loaded from a program in the boot
// image, running user threads in ring 3.
//
// A process ends by calling exit, or is aborted by the kernel when one of
// its threads faults or misuses a system call; either way a message says
// why, its memory goes back to the page allocator once nothing refers to
// it, and every other process and the kernel carry on. Whoever started it
// can wait for the end and read how it ended.
import AmoebaCore
import KernelCore
import ProcessDescriptor

final class Process {
    enum Ending: Equatable { case running, exited(Int32), aborted(String), threadExited }

    static var nextID = 1
    static let stackTop: UInt32 = 0x7FFF_0000
    static let stackSize: UInt32 = 64 * 1024

    let id: Int
    let name: String
    let space: AddressSpace
    var segments = SegmentTable()
    /// Its mappings of shared segments; each gives its count back when released.
    var mappings: [SegmentMapping] = []
    var ending: Ending = .running
    var liveThreads = 0
    /// User pages mapped beyond its image and first stack (allocated,
    /// stack and shared segments), counted against `Limits.pagesPerProcess`.
    var pages = 0
    /// Its client transactions waiting now (`Limits.transactionsInFlight`).
    var transactionsInFlight = 0
    /// Its mutexes, semaphores and barriers, by handle (SyncCalls).
    var syncObjects: [UserSyncObject?] = []
    /// Its threads still alive, so that its end can stop them all at once.
    var threads: [KThread] = []
    /// The ports its threads called getreq on (their slots close when it ends).
    var served: [PortListener] = []
    let finished = Semaphore(0)
    /// The CPU exception that aborted it, for the checkpoint to its owner
    /// (ProcessServer); nil for an exit or a software abort.
    var exception: (number: Int32, frame: I386ThreadState)? = nil
    let priority: PriorityLevel
    /// The registers of its threads as a stun stopped them (Stun), for the checkpoint.
    var stoppedThreads: [I386ThreadState] = []

    init(name: String, space: AddressSpace, priority: PriorityLevel) {
        id = Process.nextID
        Process.nextID += 1
        self.name = name
        self.space = space
        self.priority = priority
    }

    enum LoadError: Error { case image(ELFError), segment(SegmentError), memory }

    /// Loads `program` and starts its first thread with `arguments` on its stack.
    static func start(_ name: String, program: UnsafeRawBufferPointer, arguments: [UInt32],
                      directory: Capability, capabilities extra: [(String, Capability)] = [],
                      priority: PriorityLevel = .normal) throws(LoadError) -> Process {
        let image: ELFImage
        do throws(ELFError) { image = try ELFImage(program) } catch { throw .image(error) }
        guard let space = AddressSpace() else { throw .memory }
        let p = Process(name: name, space: space, priority: priority)
        for s in image.segments {
            let base = s.virtualAddress & ~0xFFF
            let end = (UInt64(s.virtualAddress) + UInt64(s.memorySize) + 0xFFF) & ~0xFFF
            let kind: SegmentKind = s.writable ? .data : .text
            do throws(SegmentError) {
                try p.segments.add(SegmentDescriptor(kind: kind, base: base, size: UInt32(end - UInt64(base)), writable: s.writable))
            } catch { throw .segment(error) }
            var v = base
            while UInt64(v) < end {
                guard space.mapNew(v, writable: s.writable) else { throw .memory }
                v += 4096
            }
            let bytes = UnsafeRawBufferPointer(rebasing: program[Int(s.fileOffset)..<Int(s.fileOffset + s.fileSize)])
            guard space.write(bytes, at: s.virtualAddress) else { throw .memory }
        }
        // The stack, with an unmapped guard page below it.
        let stackBase = stackTop - stackSize
        do throws(SegmentError) {
            try p.segments.add(SegmentDescriptor(kind: .stack, base: stackBase, size: stackSize, writable: true))
        } catch { throw .segment(error) }
        var v = stackBase
        while v < stackTop { guard space.mapNew(v, writable: true) else { throw .memory }; v += 4096 }
        // Amoeba's initial stack: argv = [name, each argument in decimal],
        // no environment, the directory as ROOT (then any others the
        // caller names, such as STDIN).
        var argv = [name]
        for a in arguments { argv.append("\(a)") }
        let stack: InitialStack
        do throws(InitialStack.BuildError) {
            stack = try InitialStack(start: stackBase, length: Int(stackSize), arguments: argv, environment: [],
                                     capabilities: [("ROOT", directory)] + extra)
        } catch { throw .memory }
        stack.bytes.withUnsafeBytes { _ = space.write($0, at: stackBase) }
        let esp = stack.stackPointer

        p.liveThreads = 1
        guard let t = KThread(name: name, priority: Priority(process: priority, thread: .normal), preemptible: true, body: {})
        else { throw .memory }
        t.body = nil
        t.userEntry = (image.entry, esp)
        t.process = p
        p.threads.append(t)
        Scheduler.start(t)
        return p
    }

    /// The running thread leaves (its process too when it was the last).
    /// Only for endings without a message: a value held by a frame that
    /// never returns is never released, so an abort records its message
    /// with `recordEnd` in a function that returns before `Scheduler.exit`.
    static func endCurrentThread(_ ending: Ending) -> Never {
        recordEnd(ending)
        Scheduler.exit()
    }

    /// The bookkeeping of the running thread's end: exit, or abort with a
    /// reason; the caller then leaves through `Scheduler.exit`.
    @inline(never)
    static func recordEnd(_ ending: Ending) {
        guard let p = Scheduler.current?.process else { Machine.fail("a kernel thread ended as a process") }
        Signals.threadEnded(Scheduler.current!)
        if let t = Scheduler.current?.serving {   // its caller must not wait forever
            Scheduler.current?.serving = nil
            LocalIPC.putReply(t, .status(.rpcFailure))
        }
        let wasRunning = p.ending == .running
        if wasRunning && ending != .threadExited { p.ending = ending }
        // Exit or abort stops every other thread now, whatever it waits for
        // (getreq, trans, sleep, interrupt await): each is woken as killed
        // and leaves on its way back to user mode.
        let me = Scheduler.current!
        p.threads.removeAll { $0 === me }
        if wasRunning && p.ending != .running {
            for t in p.threads { Scheduler.kill(t) }
        }
        if ending == .threadExited && p.liveThreads == 1 && p.ending == .running { p.ending = .exited(0) }
        // Its other threads, woken above, stop on their way back to user
        // mode (see SystemCalls.reapIfProcessEnded).
        switch ending {
        case let .aborted(reason):
            print("[kernel] process \(p.id) (\(p.name)) aborted: \(reason)")
        case let .exited(code):
            print("[kernel] process \(p.id) (\(p.name)) exited with status \(code)")
        case .running, .threadExited: break
        }
        p.liveThreads -= 1
        if p.liveThreads == 0 {
            LocalIPC.processEnded(p)   // its ports' network slots close
            p.finished.up()
        }
    }

    /// Validates a user range against what is mapped for this process (see UserBuffer).
    func check(address: UInt32, length: UInt32, write: Bool) -> Bool {
        space.userAccessible(address, length: length, write: write)
    }

    /// Why a new segment was refused, as the code its caller gets.
    enum Refusal: Error {
        case noSpace    // a per-process limit, or no room in the address space
        case noMemory   // the machine is out of page frames

        var code: ErrorCode { self == .noSpace ? .noSpace : .noMemory }
    }

    /// A new segment of `size` bytes (page multiple) of fresh zeroed pages
    /// at a free place; all or nothing: on any refusal no page stays
    /// mapped, no frame taken and no segment registered.
    func addFreshSegment(kind: SegmentKind, size: UInt32) throws(Refusal) -> UInt32 {
        let pageCount = Int(size / 4096)
        guard segments.segments.count < Limits.segmentsPerProcess,
              pages + pageCount <= Limits.pagesPerProcess,
              let base = segments.freeRange(size: size, below: UInt64(Process.stackTop - Process.stackSize - 0x1000)),
              (try? segments.add(SegmentDescriptor(kind: kind, base: base, size: size, writable: true))) != nil
        else { throw .noSpace }
        var v = base
        while v < base + size {
            guard space.mapNew(v, writable: true) else {
                while v > base { v -= 4096; space.unmapOwned(v) }
                _ = segments.remove(base: base)
                throw .noMemory
            }
            v += 4096
        }
        pages += pageCount
        return base
    }

    /// Whether one more segment of `pageCount` pages stays within the limits.
    func mayAdd(pages pageCount: Int) -> Bool {
        segments.segments.count < Limits.segmentsPerProcess && pages + pageCount <= Limits.pagesPerProcess
    }
}
