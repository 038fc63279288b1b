// The kernel's tickless timers: the deadline queue from KernelCore driven
// by the PIT one-shot. Whoever adds or cancels a timer reprograms the
// hardware for the new earliest deadline; the IRQ 0 handler runs what is
// due (with interrupts off — actions only wake threads or set flags) and
// reprograms. With nothing pending the PIT is left silent.
//
// A timer due no earlier than the PIT's next interrupt needs no
// reprogramming: that interrupt re-arms for it. Re-arming is three port
// writes, and under QEMU the last one moves a host timer, which wakes
// QEMU's I/O thread (an eventfd write and lock traffic on a 2-core host
// shared with the guest's vCPU); the network thread sets a timeout for
// the reply's retransmission on every transaction it answers, later than
// the one before.
import AmoebaCore
import KernelCore

enum TimerAction {
    case wake(KThread, generation: UInt32)
    case call(() -> Void)
}

enum Timers {
    static var queue = TimerQueue<TimerAction>()
    static var fired: UInt64 = 0
    static var interrupts: UInt64 = 0
    /// When the PIT will interrupt next, at the latest; nil while silent.
    private static var armedUntil: Instant? = nil
    /// Times the PIT was armed (the timers scenario checks it is left alone
    /// for a timer due after its next interrupt).
    static var rearms: UInt64 = 0

    static func initialize() {
        Interrupts.register(line: 0) { Timers.interrupt() }
    }

    @discardableResult
    static func at(_ deadline: Instant, every period: Interval? = nil, _ action: TimerAction) -> TimerID {
        Interrupts.withDisabled {
            let id = queue.schedule(at: deadline, every: period, action)
            reprogram()
            return id
        }
    }

    @discardableResult
    static func after(_ delay: Interval, every period: Interval? = nil, _ body: @escaping () -> Void) -> TimerID {
        at(Clock.now() + delay, every: period, .call(body))
    }

    @discardableResult
    static func cancel(_ id: TimerID) -> Bool {
        Interrupts.withDisabled { queue.cancel(id) }
    }

    private static func reprogram() {
        guard let next = queue.nextDeadline else { return }
        if let armed = armedUntil, armed <= next { return }
        // The PIT fires no later than `next` (earlier when `next` is past
        // its 55 ms reach, or by the rounding to its ticks).
        let now = Clock.now()
        Clock.armOneShot(after: next - now)
        armedUntil = next
        rearms &+= 1
    }

    private static func interrupt() -> Bool {
        interrupts &+= 1
        armedUntil = nil
        for e in queue.expire(now: Clock.now()) {
            fired &+= 1
            switch e.payload {
            case let .wake(thread, generation): Scheduler.timeout(thread, generation: generation)
            case let .call(body): body()
            }
        }
        reprogram()
        return true
    }
}
