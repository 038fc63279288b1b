// The lock an endpoint's threads share, and a bell for each thread that
// waits in it.
//
// An endpoint's calls wait for two reasons only: for their own outcome,
// or for the driver's seat to come free. A single condition variable
// cannot tell them apart, so every outcome woke every waiting thread, and
// all but one went back to sleep: with four threads calling, about three
// wasted wakeups per transaction, some 11,000 context switches per 50 MB
// put. Here each waiting thread sleeps on a bell of its own, filed under
// the ticket of the call it waits for, and is rung by name: for its
// outcome, or as the one chosen to drive next.

#if canImport(Glibc)
import Glibc
#endif

final class WaitRoom {
    /// What a waiting thread is filed under: the ticket of its call.
    typealias Ticket = UInt32

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Threads asleep, each on its own bell; a few at most (one per
    /// thread calling), so a list scanned beats hashing.
    private var sleepers: [(ticket: Ticket, bell: UnsafeMutablePointer<pthread_cond_t>)] = []
    /// Bells of sleepers gone, kept for the next: a bell is made once per
    /// thread that ever waited at the same time as others, not per wait.
    private var spareBells: [UnsafeMutablePointer<pthread_cond_t>] = []

    init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for bell in spareBells + sleepers.map(\.bell) {
            pthread_cond_destroy(bell)
            bell.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// How many threads are asleep in the room.
    var sleeperCount: Int { sleepers.count }

    /// Sleeps, with the room locked, until rung (`ring`, `ringAnyone`,
    /// `ringEveryone`) or woken spuriously: callers look again at what
    /// they wait for either way.
    func sleep(as ticket: Ticket) {
        let bell = spareBells.popLast() ?? makeBell()
        sleepers.append((ticket, bell))
        pthread_cond_wait(bell, mutex)
        // Ringing files the sleeper out; a spurious wakeup leaves it in.
        if let i = sleepers.firstIndex(where: { $0.bell == bell }) { sleepers.remove(at: i) }
        spareBells.append(bell)
    }

    /// Wakes the thread waiting for `ticket`, if one sleeps.
    func ring(_ ticket: Ticket) {
        guard let i = sleepers.firstIndex(where: { $0.ticket == ticket }) else { return }
        pthread_cond_signal(sleepers.remove(at: i).bell)
    }

    /// Wakes one sleeper, whichever (to take the seat the caller leaves),
    /// and says whose call it waits for; nil when nobody sleeps.
    func ringAnyone() -> Ticket? {
        guard !sleepers.isEmpty else { return nil }
        let s = sleepers.removeFirst()
        pthread_cond_signal(s.bell)
        return s.ticket
    }

    /// Wakes every sleeper (the endpoint is closing).
    func ringEveryone() {
        for s in sleepers { pthread_cond_signal(s.bell) }
        sleepers.removeAll()
    }

    private func makeBell() -> UnsafeMutablePointer<pthread_cond_t> {
        let bell = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_cond_init(bell, nil)
        return bell
    }
}
