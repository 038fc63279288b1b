// A thread of control in the kernel: its own stack, saved stack pointer,
// FXSAVE area and scheduling state.
//
// Kernel threads run until they block or yield. Threads marked preemptible
// (the class user threads belong to) are also switched away from when
// their time slice ends or a better thread becomes ready. A thread's stack
// and SSE area come from the kernel heap and go back to it when the thread
// is reaped, which is what lets thread churn run without growth.
import KernelCore

final class KThread {
    enum State { case ready, running, blocked, dead }
    enum WakeReason { case none, woken, timedOut, killed, interrupted }

    static let stackSize = 16 * 1024
    static var nextID = 1

    let id: Int
    let name: String
    var priority: Priority
    let preemptible: Bool
    var state: State = .ready
    /// The next ready thread of its rank while it waits in the run queue
    /// (RunQueue.swift); nil otherwise.
    var nextInRunQueue: KThread? = nil
    /// Where switch_context keeps the stack pointer while the thread is off the CPU.
    let context: UnsafeMutablePointer<UInt32>
    let stack: UnsafeMutableRawPointer?
    let fxState: UnsafeMutableRawPointer
    var body: (() -> Void)?
    /// The event an `await` is sleeping on; 0 when not awaiting.
    var awaitEvent: UInt = 0
    /// In a wait a caught signal may cut short (UserSync): Signals.interrupt wakes it `.interrupted`.
    var waitsInterruptibly = false
    var wakeReason: WakeReason = .none
    /// Its process has ended: whatever it waits for, it stops waiting and
    /// leaves on its way back to user mode.
    var killed = false
    /// Bumped on every block, so a stale timeout cannot wake a later wait.
    var generation: UInt32 = 0
    var switchesIn: UInt64 = 0
    /// Where a user thread starts in ring 3 (instruction, stack pointer).
    var userEntry: (UInt32, UInt32)? = nil
    /// A continued (migrated) thread starts with these registers instead,
    /// and with this floating-point image (its own, freed with the thread).
    var resume: UserRegisters? = nil
    var resumeFX: UnsafeMutableRawPointer? = nil
    /// Its process is being stunned: it stops, registers saved, the next
    /// time it is on its way back to user mode (see Stun).
    var stopping = false
    /// Woken by the stun from a blocking call, which it makes again when it goes on.
    var rollBack = false
    /// The process a user thread belongs to; nil for kernel threads.
    var process: Process? = nil {
        didSet {
            pageDirectory = process?.space.directory ?? Paging.kernelDirectory
            processRef = process.map { Unmanaged.passUnretained($0) }
        }
    }
    /// The same without ownership, for the system call path.
    private(set) var processRef: Unmanaged<Process>? = nil
    /// The address space to load when this thread runs (kept here so the
    /// switch does not have to walk to the process).
    var pageDirectory: UInt32 = Paging.kernelDirectory
    /// The request a user server thread took with getreq and has not answered.
    var serving: Transaction? = nil
    /// The port a user server thread last waited on, not owned here (its
    /// process's `served` list holds it for as long as the process lives):
    /// the fast path's way to it without a search.
    var servedListener: Unmanaged<PortListener>? = nil
    /// This thread's reusable transaction as a client.
    var clientTransaction: Transaction? = nil {
        didSet { clientTransactionRef = clientTransaction.map { Unmanaged.passUnretained($0) } }
    }
    /// The same without ownership, for the IPC fast path.
    private(set) var clientTransactionRef: Unmanaged<Transaction>? = nil
    /// The next server parked idle on the same port (see PortListener).
    var nextIdle: Unmanaged<KThread>? = nil
    /// The request handed to this thread while it waited in getreq.
    var transaction: Transaction? = nil
    /// Its signal catchers and pending signals (Signals.swift); nil until it catches one.
    var signals: SignalState? = nil

    /// The boot thread: runs on the boot stack it already has.
    init(bootName: String) {
        id = 0
        name = bootName
        priority = Priority(process: .normal, thread: .normal)
        preemptible = false
        stack = nil
        guard let fx = KThread.allocate(FPU.stateSize), let c = KThread.allocate(16) else {
            Machine.fail("no heap for the boot thread")
        }
        fxState = fx
        context = c.bindMemory(to: UInt32.self, capacity: 4)
        state = .running
    }

    /// A new thread, or nil when the kernel heap cannot hold its stack and
    /// state: a user's thread creation is refused with STD_NOMEM, never a
    /// kernel stop.
    init?(name: String, priority: Priority, preemptible: Bool, body: @escaping () -> Void) {
        let stack = KThread.allocate(KThread.stackSize)
        let fx = KThread.allocate(FPU.stateSize)
        let c = KThread.allocate(16)
        guard let stack, let fx, let c else {
            free(stack); free(fx); free(c)
            return nil
        }
        id = KThread.nextID
        KThread.nextID += 1
        self.name = name
        self.priority = priority
        self.preemptible = preemptible
        self.body = body
        self.stack = stack
        fxState = fx
        context = c.bindMemory(to: UInt32.self, capacity: 4)
        // The frame switch_context pops: flags, edi, esi, ebx, ebp, return address.
        let top = UInt32(UInt(bitPattern: stack)) + UInt32(KThread.stackSize)
        let frame = UnsafeMutablePointer<UInt32>(bitPattern: UInt(top - 32)).unsafelyUnwrapped
        frame[0] = 0x0002                  // interrupts off until the trampoline
        frame[1] = 0; frame[2] = 0; frame[3] = 0; frame[4] = 0
        frame[5] = addr_thread_trampoline()
        frame[6] = 0
        context.pointee = top - 32
        // A fresh FPU image: default control words, empty registers.
        for i in 0..<FPU.stateSize { fxState.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        fxState.storeBytes(of: UInt16(0x037F), toByteOffset: 0, as: UInt16.self)
        fxState.storeBytes(of: UInt32(0x1F80), toByteOffset: 24, as: UInt32.self)
    }

    /// 16-byte aligned heap memory, nil when the heap is full.
    private static func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&p, 16, size) == 0 else { return nil }
        return p
    }

    deinit {
        if let stack { free(stack) }
        free(fxState)
        if let resumeFX { free(resumeFX) }
        free(UnsafeMutableRawPointer(context))
    }

    /// The top of this thread's stack, loaded into the TSS for traps from ring 3.
    var stackTop: UInt32 {
        guard let stack else { return addr_boot_stack_top() }
        return UInt32(UInt(bitPattern: stack)) + UInt32(KThread.stackSize)
    }
}

extension KThread: RunQueueLinked {}

@_cdecl("thread_entry")
func thread_entry() {
    // Nothing of the thread may stay retained on this stack: neither exit
    // nor the jump to user mode returns.
    if let r = resumedRegisters() {
        enter_user_state(r.edi, r.esi, r.ebp, r.ebx, r.edx, r.ecx, r.eax, r.eip, r.eflags, r.esp, r.floatingPoint)
    }
    if let (eip, esp) = runCurrentBody() { enter_user_mode(eip, esp) }
    if isUserThread() { Process.endCurrentThread(.threadExited) }
    Scheduler.exit()
}

@inline(never)
private func isUserThread() -> Bool { Scheduler.current!.process != nil }

/// A continued thread's registers (plain words: nothing stays retained).
@inline(never)
private func resumedRegisters() -> UserRegisters? {
    guard let r = Scheduler.current!.resume else { return nil }
    Scheduler.reap()
    if Scheduler.current!.killed { return nil }
    return r
}

/// Runs a kernel thread's body, or returns where a user thread starts.
@inline(never)
private func runCurrentBody() -> (UInt32, UInt32)? {
    Scheduler.reap()
    if Scheduler.current!.killed { return nil }   // its process ended before it first ran
    if let entry = Scheduler.current!.userEntry { return entry }
    let body = Scheduler.current!.body
    Scheduler.current!.body = nil
    body?()
    return nil
}
