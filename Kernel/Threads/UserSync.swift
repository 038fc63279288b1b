// Synchronisation for the threads of a user process: the mutex, counting
// semaphore and barrier the VX seed lists (the kernel's own are in
// Sync.swift). A process names its objects by small handles into its own
// table, so no other process can touch them, and they go with it.
//
// Every wait can end four ways, and each is the caller's to act on: the
// object was got (0), the timeout passed (STD_NOTNOW), a signal caught by
// the thread cut it short (STD_INTR; Signals.interrupt wakes it), or the
// process ended (the thread leaves on its way out). Whoever wakes a waiter
// first wins; a waiter that did not get the object takes itself off the
// queue, so a late post finds only threads that still wait.
//
// Waking hands the object straight to the first waiter, as the kernel's
// primitives do, so a woken thread never competes again.
import AmoebaCore

final class UserSyncObject {
    enum Kind: UInt32 { case mutex = 1, semaphore = 2, barrier = 3 }

    let kind: Kind
    /// Semaphore: units free. Barrier: parties. Mutex: unused.
    private var count: Int
    /// Mutex: the holding thread's id (an id, not a reference: a thread
    /// that ends holding it leaves it locked, as a POSIX mutex would).
    private var holder: Int? = nil
    private var waiters: [KThread] = []
    /// Barrier: threads arrived in the current round.
    private var arrived = 0

    init(kind: Kind, count: Int) {
        self.kind = kind
        self.count = count
    }

    var isBusy: Bool { !waiters.isEmpty || holder != nil }

    enum Refusal: Error { case notNow, interrupted, killed, notHeld, alreadyHeld, notPostable, full }

    /// Locks, takes a unit, or arrives. `timeout` nil waits for ever; zero only tries.
    func wait(timeout: Interval?) throws(Refusal) {
        try Interrupts.withDisabled(throwing: { () throws(Refusal) in
            let me = Scheduler.current!
            switch kind {
            case .mutex:
                if holder == nil { holder = me.id; return }
                if holder == me.id { throw .alreadyHeld }
            case .semaphore:
                if count > 0 { count -= 1; return }
            case .barrier:
                if arrived + 1 == count {
                    arrived = 0
                    for t in waiters { Scheduler.wake(t) }
                    waiters.removeAll()
                    return
                }
            }
            if let timeout, timeout.microseconds <= 0 { throw .notNow }
            waiters.append(me)
            if kind == .barrier { arrived += 1 }
            me.waitsInterruptibly = true
            let reason = Waiting.block(me, timeout: timeout)
            me.waitsInterruptibly = false
            if reason == .woken { return }
            waiters.removeAll { $0 === me }
            if kind == .barrier { arrived -= 1 }
            switch reason {
            case .timedOut: throw .notNow
            case .interrupted: throw .interrupted
            default: throw .killed
            }
        })
    }

    /// Unlocks the mutex or gives the semaphore a unit.
    func post() throws(Refusal) {
        try Interrupts.withDisabled(throwing: { () throws(Refusal) in
            let me = Scheduler.current!
            switch kind {
            case .mutex:
                guard holder == me.id else { throw .notHeld }
                if waiters.isEmpty { holder = nil; return }
                let next = waiters.removeFirst()
                holder = next.id
                Scheduler.wake(next)
            case .semaphore:
                if !waiters.isEmpty { Scheduler.wake(waiters.removeFirst()); return }
                guard count < Int(Int32.max) else { throw .full }
                count += 1
            case .barrier:
                throw .notPostable
            }
        })
    }
}
