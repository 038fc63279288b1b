// The kernel's tickless timers: the deadline queue from KernelCore driven
// by the PIT one-shot. Whoever adds or cancels a timer reprograms the
// hardware for the new earliest deadline; the IRQ 0 handler runs what is
// due (with interrupts off — actions only wake threads or set flags) and
// reprograms. With nothing pending the PIT is left silent.
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
        Clock.armOneShot(after: next - Clock.now())
    }

    private static func interrupt() -> Bool {
        interrupts &+= 1
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
