// Where a connection's calling threads wait, each for its own answer.
//
// A program may have dozens of threads blocked in trans and getreq on one
// connection. One of them reads the socket for all; when it files an
// answer, exactly the thread the answer is for should wake, not every
// waiter (the multi-host test runs 64 client threads on one connection: a
// broadcast per answer would wake 63 threads to find nothing). So there is
// one lock for the connection's bookkeeping and one condition variable per
// waiting call, kept in a small pool so that waiting allocates nothing.
//
// A program's own FLIP endpoint (AmunixEndpoint) waits the same way: its
// calls wait for their outcome or for the driver's seat, and a leaving
// driver wakes one waiter still without its outcome to drive next.

#if canImport(Glibc)
import Glibc
#endif

public final class WaitRoom: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var byCall: [UInt32: UnsafeMutablePointer<pthread_cond_t>] = [:]
    private var pool: [UnsafeMutablePointer<pthread_cond_t>] = []

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for c in Array(byCall.values) + pool {
            pthread_cond_destroy(c)
            c.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// With the lock held: sleeps until `wake(call)` (or a spurious wakeup;
    /// callers re-check their condition).
    public func wait(for call: UInt32) {
        pthread_cond_wait(condition(for: call), mutex)
    }

    /// As `wait(for:)`, but no later than `deadline` (CLOCK_REALTIME
    /// seconds and nanoseconds, what condition variables count in).
    public func wait(for call: UInt32, until deadline: timespec) {
        var d = deadline
        _ = pthread_cond_timedwait(condition(for: call), mutex, &d)
    }

    /// The condition variable `call` waits on: its own if it has one, else
    /// one from the pool, else a new one.
    private func condition(for call: UInt32) -> UnsafeMutablePointer<pthread_cond_t> {
        if let existing = byCall[call] { return existing }
        let c: UnsafeMutablePointer<pthread_cond_t>
        if let reused = pool.popLast() {
            c = reused
        } else {
            c = .allocate(capacity: 1)
            pthread_cond_init(c, nil)
        }
        byCall[call] = c
        return c
    }

    // With nobody waiting (a program's one calling thread drives its own
    // endpoint and never sleeps here) these return before hashing `call`:
    // a null transaction leaves and wakes once each.

    /// The thread waiting for `from` now waits for `to`.
    public func move(from: UInt32, to: UInt32) {
        guard !byCall.isEmpty else { return }
        if let c = byCall.removeValue(forKey: from) { byCall[to] = c }
    }

    /// The thread of `call` is done waiting.
    public func leave(_ call: UInt32) {
        guard !byCall.isEmpty else { return }
        if let c = byCall.removeValue(forKey: call) { pool.append(c) }
    }

    public func wake(_ call: UInt32) {
        guard !byCall.isEmpty else { return }
        if let c = byCall[call] { pthread_cond_signal(c) }
    }

    /// Wakes one waiting thread other than `call`'s, if there is one.
    public func wakeAnyone(except call: UInt32) {
        wakeAnyone { $0 != call }
    }

    /// Wakes one waiting thread whose call `chosen` accepts, and says
    /// which; nil when none is.
    @discardableResult
    public func wakeAnyone(where chosen: (UInt32) -> Bool) -> UInt32? {
        guard !byCall.isEmpty else { return nil }
        for (k, c) in byCall where chosen(k) {
            pthread_cond_signal(c)
            return k
        }
        return nil
    }

    public func wakeEveryone() {
        for c in byCall.values { pthread_cond_signal(c) }
    }
}
