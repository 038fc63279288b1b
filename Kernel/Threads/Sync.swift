// Blocking synchronisation for threads: mutex, counting semaphore,
// barrier, and Amoeba's await/wakeup on an event number.
//
// All are built the same way: with interrupts off, either take what is
// free or queue the running thread and block; the releasing side hands the
// resource straight to the first waiter (so a woken thread never has to
// compete again and cannot starve). Waits with a timeout arm a timer that
// wakes the thread with `timedOut`; whoever wakes first wins, the other
// side finds the thread no longer waiting.
import AmoebaCore
import KernelCore

final class Mutex {
    private(set) var owner: KThread? = nil
    private var waiters: [KThread] = []

    func lock() {
        Interrupts.withDisabled {
            let me = Scheduler.current!
            if owner == nil { owner = me; return }
            waiters.append(me)
            Scheduler.block()
        }
    }

    func unlock() {
        Interrupts.withDisabled {
            if waiters.isEmpty { owner = nil; return }
            let next = waiters.removeFirst()
            owner = next
            Scheduler.wake(next)
        }
    }

    func withLock<T>(_ body: () -> T) -> T {
        lock()
        defer { unlock() }
        return body()
    }
}

final class Semaphore {
    private(set) var value: Int
    private var waiters: [KThread] = []

    init(_ value: Int = 0) { self.value = value }

    /// Takes one unit; false when `timeout` passed first.
    @discardableResult
    func down(timeout: Interval? = nil) -> Bool {
        Interrupts.withDisabled {
            if value > 0 { value -= 1; return true }
            let me = Scheduler.current!
            waiters.append(me)
            let reason = Waiting.block(me, timeout: timeout)
            if reason != .woken {
                waiters.removeAll { $0 === me }
                return false
            }
            return true
        }
    }

    func up() {
        Interrupts.withDisabled {
            if waiters.isEmpty { value += 1; return }
            Scheduler.wake(waiters.removeFirst())
        }
    }
}

/// Releases its waiters together once `parties` threads have arrived.
final class Barrier {
    let parties: Int
    private var arrived: [KThread] = []

    init(parties: Int) { self.parties = parties }

    func arrive() {
        Interrupts.withDisabled {
            if arrived.count + 1 == parties {
                for t in arrived { Scheduler.wake(t) }
                arrived.removeAll()
                return
            }
            arrived.append(Scheduler.current!)
            Scheduler.block()
        }
    }
}

/// Amoeba's await(event, timeout) / wakeup(event): sleep on a number.
enum Events {
    private static var sleepers: [KThread] = []

    /// Sleeps until `wakeup(event)`; false when the timeout came first.
    @discardableResult
    static func await(_ event: UInt, timeout: Interval? = nil) -> Bool {
        Interrupts.withDisabled {
            let me = Scheduler.current!
            me.awaitEvent = event
            sleepers.append(me)
            let reason = Waiting.block(me, timeout: timeout)
            me.awaitEvent = 0
            if reason != .woken { sleepers.removeAll { $0 === me } }
            return reason == .woken
        }
    }

    /// Wakes every thread awaiting `event`; returns how many.
    @discardableResult
    static func wakeup(_ event: UInt) -> Int {
        Interrupts.withDisabled {
            var n = 0
            sleepers.removeAll { t in
                guard t.awaitEvent == event else { return false }
                n += 1
                Scheduler.wake(t)
                return true
            }
            return n
        }
    }
}

/// Blocking with an optional timeout, shared by the primitives above.
enum Waiting {
    /// Blocks `me` (the running thread; interrupts off) and says why it woke.
    static func block(_ me: KThread, timeout: Interval?) -> KThread.WakeReason {
        if me.killed { return .killed }   // its process ended before it got here
        me.wakeReason = .none
        var timer: TimerID? = nil
        if let timeout {
            timer = Timers.at(Clock.now() + timeout, .wake(me, generation: me.generation))
        }
        Scheduler.block()
        if let timer, me.wakeReason != .timedOut { Timers.cancel(timer) }
        return me.wakeReason
    }
}
