// The scheduler: which thread runs, and the switch between them.
//
// Ready threads wait in the two-level priority run queue. A running kernel
// thread keeps the CPU until it blocks, yields or exits (non-preemptive);
// a preemptible thread also loses it at the end of its time slice to a
// ready thread of the same or better rank, or at once when a better thread
// becomes ready — the switch then happens on the way out of the interrupt
// that made it ready. The idle thread halts the CPU when nothing is ready.
//
// All scheduler state is touched with interrupts off. A thread that blocks
// does so with interrupts off and sleeps inside switch_context; the flags
// it saved come back with it, so its caller's critical section resumes
// intact.
import AmoebaCore
import KernelCore

enum Scheduler {
    static var current: KThread? = nil
    /// The same thread without ownership (`current` holds it): what the
    /// IPC fast path reads, at no reference counting.
    static var running: Unmanaged<KThread>? = nil
    static var idle: KThread? = nil
    static var ready = RunQueue<KThread>()
    static var zombies: [KThread] = []
    static var needReschedule = false
    static var sliceTimer: TimerID? = nil
    static var timeSlice = Interval.milliseconds(10)
    /// When the running preemptible thread was switched in (TSC counts).
    static var sliceStart: UInt64 = 0
    static var switches: UInt64 = 0
    static var preemptions: UInt64 = 0
    static var threadCount = 0

    static func initialize() {
        let boot = KThread(bootName: "boot")
        current = boot
        running = Unmanaged.passUnretained(boot)
        guard let idleThread = KThread(name: "idle", priority: Priority(process: .low, thread: .low), preemptible: true, body: {
            while true { cpu_sti_hlt() }
        }) else { Machine.fail("no heap for the idle thread") }
        idle = idleThread
        Interrupts.exitHook = { Scheduler.interruptExit() }
    }

    /// Starts a thread; it runs when the scheduler next picks it.
    @discardableResult
    static func spawn(_ name: String, priority: Priority = Priority(), preemptible: Bool = false,
                      _ body: @escaping () -> Void) -> KThread {
        // Kernel threads are started by the kernel itself, at boot or per
        // node feature, never at a user's request: no heap here is a kernel bug.
        guard let t = KThread(name: name, priority: priority, preemptible: preemptible, body: body) else {
            Machine.fail("no heap for a kernel thread")
        }
        start(t)
        return t
    }

    /// Makes a constructed thread runnable.
    static func start(_ t: KThread) {
        Interrupts.withDisabled {
            threadCount += 1
            makeReady(t)
        }
    }

    /// Gives the CPU to another ready thread of the same or better rank, if any.
    static func yield() {
        Interrupts.withDisabled {
            guard let me = current, let best = ready.bestRank, best <= me.priority.rank else { return }
            me.state = .ready
            ready.enqueue(me, priority: me.priority)
            reschedule()
        }
    }

    /// Blocks the running thread until `wake` (call with interrupts off).
    static func block() {
        let me = current!
        me.state = .blocked
        reschedule()
    }

    /// Makes a blocked thread ready (interrupts off or on).
    static func wake(_ t: KThread, reason: KThread.WakeReason = .woken) {
        Interrupts.withDisabled {
            guard t.state == .blocked else { return }
            t.wakeReason = reason
            t.generation &+= 1
            makeReady(t)
            // Woken by a preemptible thread itself: a better thread runs now.
            if Interrupts.depth == 0, needReschedule, let me = current, me.preemptible, me !== idle {
                needReschedule = false
                preemptions &+= 1
                me.state = .ready
                ready.enqueue(me, priority: me.priority)
                reschedule()
            }
        }
    }

    /// Stops a thread of an ended process at once: a blocked one is woken
    /// with `killed` (every wait gives up on it and cleans up after itself),
    /// a ready one stops when it next passes through the kernel. No switch
    /// happens here: the caller is usually a thread on its own way out.
    static func kill(_ t: KThread) {
        Interrupts.withDisabled {
            t.killed = true
            guard t.state == .blocked else { return }
            t.wakeReason = .killed
            t.generation &+= 1
            makeReady(t)
        }
    }

    /// A timer's wakeup for a wait that may have ended already.
    static func timeout(_ t: KThread, generation: UInt32) {
        if t.state == .blocked && t.generation == generation { wake(t, reason: .timedOut) }
    }

    static func exit() -> Never {
        cpu_cli()
        buryCurrent()
        // No reference to this thread may be held on its stack from here:
        // the stack is freed once another thread has switched away from it.
        reschedule()
        Machine.fail("a dead thread was scheduled")
    }

    @inline(never)
    private static func buryCurrent() {
        let me = current!
        me.state = .dead
        // Its transaction record and it refer to each other; a server still
        // holding the record then finds no client to answer.
        me.clientTransaction?.client = nil
        me.clientTransaction = nil
        zombies.append(me)
        threadCount -= 1
    }

    /// Frees the stacks of threads that have exited (called off their stacks).
    static func reap() {
        guard !zombies.isEmpty else { return }
        Interrupts.withDisabled { zombies.removeAll() }
    }

    /// Puts the thread on the run queue and notes when it should preempt the running one.
    private static func makeReady(_ t: KThread) {
        t.state = .ready
        ready.enqueue(t, priority: t.priority)
        if let me = current, me.preemptible || me === idle, t.priority.isBetter(than: me.priority) || me === idle {
            needReschedule = true
        }
    }

    /// The preemption point, on the way out of every device interrupt.
    static func interruptExit() {
        guard needReschedule, let me = current else { return }
        needReschedule = false
        guard me.preemptible || me === idle, let best = ready.bestRank else { return }
        if me !== idle {
            guard best <= me.priority.rank else { return }
            preemptions &+= 1
            me.state = .ready
            ready.enqueue(me, priority: me.priority)
        }
        reschedule()
    }

    /// Switches to the best ready thread (or idle). Interrupts are off.
    private static func reschedule() {
        guard let (saveSlot, saveFX, newESP, loadFX) = pickNext() else { return }
        switch_context(saveSlot, newESP, saveFX, loadFX)
        reap()
    }

    /// A switch worked out but not yet made: raw pointers only, so the frame
    /// that makes it holds no reference to either thread while it sleeps.
    typealias SwitchPlan = (UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer, UInt32, UnsafeMutableRawPointer)

    /// The local IPC fast path: plans running `next` at once, bypassing the
    /// run queue. The running thread must already be blocked (interrupts off).
    @inline(__always)
    static func planDirectSwitch(to next: KThread) -> SwitchPlan {
        prepareSwitch(to: next)
    }

    /// Makes a planned switch; returns when something wakes this thread again.
    @inline(__always)
    static func perform(_ plan: SwitchPlan) {
        switch_context(plan.0, plan.2, plan.1, plan.3)
        reap()
    }

    @inline(never)
    private static func pickNext()
        -> (UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer, UInt32, UnsafeMutableRawPointer)? {
        let next = ready.dequeue() ?? idle!
        guard next !== current else { next.state = .running; return nil }
        return prepareSwitch(to: next)
    }

    /// Updates the bookkeeping and returns only raw pointers, so no reference
    /// to either thread stays retained across the switch. Inlined: the
    /// frames that switch on an exit (`pickNext`) are themselves never inlined.
    @inline(__always)
    private static func prepareSwitch(to next: KThread)
        -> (UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer, UInt32, UnsafeMutableRawPointer) {
        let old = current!
        switches &+= 1
        next.state = .running
        next.switchesIn &+= 1
        current = next
        running = Unmanaged.passUnretained(next)
        Descriptors.setKernelStack(next.stackTop)
        Paging.activate(next.pageDirectory)
        // Every switch to a preemptible thread starts a fresh slice. The
        // slice timer is not re-armed for it (that would cost a timer
        // insertion per transaction): the switch only notes the time, and
        // when the timer fires early for the thread now running it is set
        // again for the rest of that thread's slice.
        if next.preemptible && next !== idle {
            sliceStart = cpu_rdtsc()
            if sliceTimer == nil { sliceTimer = Timers.after(timeSlice) { Scheduler.sliceEnded() } }
        }
        return (old.context, old.fxState, next.context.pointee, next.fxState)
    }

    private static func sliceEnded() {
        sliceTimer = nil
        // The running thread's slice began at its last switch in: if that
        // was less than a slice ago, it gets the rest before anyone preempts it.
        let used = Clock.microseconds(ofCounts: cpu_rdtsc() &- sliceStart)
        if let me = current, me.preemptible, me !== idle, used + 50 < UInt64(timeSlice.microseconds) {
            sliceTimer = Timers.after(.microseconds(timeSlice.microseconds - Int64(used))) { Scheduler.sliceEnded() }
            return
        }
        guard let me = current, me.preemptible, let best = ready.bestRank, best <= me.priority.rank else {
            // Nobody to share with: start a fresh slice.
            if let me = current, me.preemptible, me !== idle {
                sliceTimer = Timers.after(timeSlice) { Scheduler.sliceEnded() }
            }
            return
        }
        needReschedule = true
    }

    /// Sleeps the running thread for `interval`.
    static func sleep(_ interval: Interval) {
        Interrupts.withDisabled {
            // Through Waiting, so a sleep cut short (killed) cancels its timer
            // and the timer does not keep the thread alive.
            _ = Waiting.block(current!, timeout: interval)
        }
    }
}
