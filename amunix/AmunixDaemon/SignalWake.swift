// How a driver blocked in one recvmmsg on its packet socket is woken by
// something other than a frame: its deadline, or a call on another thread
// that needs the node sooner (a nudge).
//
// A packet socket's blocking receive is the cheapest wait there is (the
// AF_PACKET ping-pong floor waits in nothing else), but it watches one
// socket and takes no deadline short of SO_RCVTIMEO, which arms a kernel
// timer on every wait: the price LinkWait's timerfd exists to avoid. So
// both wakeups come as a signal to the waiting thread. Its handler makes
// the socket the thread waits on non-blocking (the thread notes which one
// before the wait and forgets it after): a recvmmsg the signal cut short
// is restarted by the kernel (SA_RESTART) and returns at once, and so does
// one the thread had not yet entered when the signal came, where a handler
// that only interrupted the call would have lost the wakeup. The driver
// that finds the socket non-blocking (EAGAIN) makes it blocking again.
// A stray signal (a timer that fires after its thread left the seat: at
// most once per thread, at the deadline it was armed for) finds no socket
// noted and does nothing; SA_RESTART lets most calls it lands in go on,
// and those the kernel never restarts (epoll_wait, select) return EINTR,
// as any signal makes them. A thread's timer lives until the endpoint
// closes (one per thread that ever drove it).
//
// The deadline is a POSIX timer per thread that drives (SIGEV_THREAD_ID:
// the driver's seat moves between threads, and the signal must reach the
// one that waits), armed as LinkWait arms its timerfd: only when the
// deadline asked for is earlier than the one the timer holds, or the timer
// has run out. A stream of transactions waits until deadlines that lie
// past the one armed, so most waits arm nothing.
//
// The handler and the note of the socket live in C (CBatchIO) and are
// reached from this file only: a static variable in a C header is one
// per Swift file that calls into it.

import AmoebaCore
import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

final class SignalWake {
    /// The signal: a real-time one the C library leaves to programs.
    static let signal: Int32 = __libc_current_sigrtmin() + 7

    /// The handler, installed once for the process.
    private static let installed: Bool = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = amx_wake_handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        return sigaction(SignalWake.signal, &action, nil) == 0
    }()

    /// A thread that waited here: its deadline timer (-1 until its first
    /// deadline) and when that fires (nil: not armed).
    private struct Waiter {
        let thread: pthread_t
        var timer: Int32 = -1
        var armedFor: Instant?
    }

    private let socket: Int32
    /// Every thread that waited here (a few at most: the threads that
    /// call through one endpoint).
    private var waiters: [Waiter] = []
    /// The one that waits now, or last waited: an index in `waiters`.
    private var current = -1
    /// Times a timer was armed (a system call each), for tests.
    private(set) var timesArmed = 0

    /// Nil when the handler could not be installed.
    init?(socket: Int32) {
        guard SignalWake.installed else { return nil }
        self.socket = socket
    }

    deinit { close() }

    /// Called by the thread about to wait, under the lock its nudgers
    /// take: from here on, a nudge reaches it.
    func willWait() {
        let me = pthread_self()
        if current < 0 || pthread_equal(waiters[current].thread, me) == 0 {
            if let i = waiters.firstIndex(where: { pthread_equal($0.thread, me) != 0 }) {
                current = i
            } else {
                // Threads of a pool (Dispatch's, Swift's) block most
                // signals; a thread that drives must take this one, which
                // is ours alone, for good: once, not per wait.
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SignalWake.signal)
                _ = pthread_sigmask(SIG_UNBLOCK, &set, nil)
                waiters.append(Waiter(thread: me))
                current = waiters.count - 1
            }
        }
        amx_wake_on(socket)
    }

    /// Cuts the wait short; under the same lock, while a thread waits
    /// (between its `willWait` and the lock taken again after the wait).
    func nudge() {
        if current >= 0 { _ = pthread_kill(waiters[current].thread, SignalWake.signal) }
    }

    /// Makes sure the waiting thread (the one that called `willWait`) is
    /// signalled by `deadline`, which lies after `now`. False: no timer
    /// could be made, and the wait must not sleep.
    func arm(for deadline: Instant, now: Instant) -> Bool {
        guard current >= 0 else { return false }
        if waiters[current].timer < 0 {
            let id = amx_thread_timer_create(amx_gettid(), SignalWake.signal)
            guard id >= 0 else { return false }
            waiters[current].timer = id
        }
        // A timer whose time has passed has fired (or is about to: a
        // stray signal then ends a later wait early, which the driver
        // takes as it takes any early wakeup).
        if let armed = waiters[current].armedFor, armed > now, armed <= deadline { return true }
        timesArmed += 1
        guard amx_thread_timer_arm_at(waiters[current].timer, deadline.microseconds) == 0 else { return false }
        waiters[current].armedFor = deadline
        return true
    }

    /// After the wait: the thread no longer waits on the socket; if a
    /// signal made it non-blocking (`interrupted`: the receive found it
    /// so), it blocks again.
    func waitEnded(interrupted: Bool) {
        amx_wake_on(-1)
        if interrupted { _ = fcntl(socket, F_SETFL, 0) }
    }

    /// Deletes the timers (the socket stays open).
    func close() {
        for w in waiters where w.timer >= 0 { _ = amx_thread_timer_delete(w.timer) }
        waiters = []
        current = -1
    }
}
