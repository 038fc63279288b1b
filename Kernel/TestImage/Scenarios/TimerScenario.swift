// Scenario `timers`: the tickless timers keep order and time. Timers set in
// shuffled order must fire in deadline order, never early and only a little
// late; a periodic timer keeps its period; a deadline beyond the PIT's
// 55 ms range is reached in hops; a cancelled timer stays silent; waits
// with a timeout end on time; and an idle stretch costs a handful of timer
// interrupts, not a tick every millisecond.
import AmoebaCore
import KernelCore

enum TimerScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("timers: FAILED \(what)") }
    }

    static func run() {
        ordering()
        periodic()
        longAndCancelled()
        waits()
        laterTimersLeaveThePIT()
        tickless()
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) timer checks failed") }
    }

    static func ordering() {
        let count = 24
        let done = Semaphore(0)
        var fired: [(index: Int, deadline: Int64, at: Int64)] = []
        // Scheduled all at once (interrupts off), so no timer is set after a
        // later one has already fired: the order seen is the queue's alone.
        Interrupts.withDisabled {
            let start = Clock.now()
            // Delays 1.5 ms apart, scheduled in a scrambled order, two of them equal.
            for k in 0..<count {
                let slot = (k * 7) % count
                let delay: Int64 = 2000 + Int64(slot) * 1500 + (slot == 5 ? 1500 : 0)
                let deadline = start + .microseconds(delay)
                Timers.at(deadline, .call {
                    fired.append((slot, deadline.microseconds, Clock.now().microseconds))
                    done.up()
                })
            }
        }
        for _ in 0..<count { done.down() }
        var inOrder = true
        var maxLate: Int64 = 0
        var early = 0
        for i in 1..<fired.count where fired[i].deadline < fired[i - 1].deadline { inOrder = false }
        for f in fired {
            let late = f.at - f.deadline
            if late < 0 { early += 1 }
            maxLate = max(maxLate, late)
        }
        check(fired.count == count, "all \(count) timers fired")
        check(inOrder, "deadline order")
        check(early == 0, "none early")
        check(maxLate < 3000, "lateness under 3 ms")
        print("timers: \(fired.count) fired in deadline order=\(inOrder), early=\(early), max lateness \(maxLate) us")
    }

    static func periodic() {
        let done = Semaphore(0)
        var times: [Int64] = []
        var id: TimerID? = nil
        id = Timers.after(.milliseconds(5), every: .milliseconds(5)) {
            times.append(Clock.now().microseconds)
            if times.count == 20 { Timers.cancel(id!); done.up() }
        }
        done.down()
        let span = times[19] - times[0]
        var worst: Int64 = 0
        for i in 1..<times.count { worst = max(worst, abs(times[i] - times[i - 1] - 5000)) }
        check(abs(span - 19 * 5000) < 2000, "periodic span \(span) us for 19 periods of 5 ms")
        print("timers: periodic 5 ms x20, span \(span) us, worst period error \(worst) us")
    }

    static func longAndCancelled() {
        let done = Semaphore(0)
        var cancelledRan = false
        let cancelled = Timers.after(.milliseconds(50)) { cancelledRan = true }
        let deadline = Clock.now() + .milliseconds(150)
        var firedAt: Int64 = 0
        Timers.at(deadline, .call { firedAt = Clock.now().microseconds; done.up() })
        check(Timers.cancel(cancelled), "cancel a pending timer")
        check(!Timers.cancel(cancelled), "cancel twice refused")
        done.down()
        let late = firedAt - deadline.microseconds
        check(late >= 0 && late < 3000, "150 ms timer (PIT hops) late by \(late) us")
        check(!cancelledRan, "cancelled timer stayed silent")
        print("timers: 150 ms deadline reached in hops, late \(late) us; cancelled timer silent=\(!cancelledRan)")
    }

    static func waits() {
        var t0 = Clock.now()
        Scheduler.sleep(.milliseconds(30))
        let slept = (Clock.now() - t0).microseconds
        check(slept >= 30000 && slept < 33000, "sleep 30 ms took \(slept) us")
        t0 = Clock.now()
        let got = Semaphore(0).down(timeout: .milliseconds(20))
        let waited = (Clock.now() - t0).microseconds
        check(!got && waited >= 20000 && waited < 23000, "semaphore timeout 20 ms took \(waited) us")
        t0 = Clock.now()
        let woke = Events.await(7, timeout: .milliseconds(10))
        let awaited = (Clock.now() - t0).microseconds
        check(!woke && awaited >= 10000 && awaited < 13000, "await timeout 10 ms took \(awaited) us")
        print("timers: sleep 30 ms -> \(slept) us, sem timeout 20 ms -> \(waited) us, await timeout 10 ms -> \(awaited) us")
    }

    /// A timer due no earlier than the PIT's next interrupt leaves the PIT
    /// as it is (re-arming is port writes that QEMU answers by waking its
    /// I/O thread); an earlier one re-arms it and fires on time.
    static func laterTimersLeaveThePIT() {
        let done = Semaphore(0)
        var firedAt: Int64 = 0
        var ids: [TimerID] = []
        let start = Clock.now()
        let before = Timers.rearms
        Interrupts.withDisabled {
            for k in 0...10 { ids.append(Timers.at(start + .milliseconds(40 + Int64(k)), .call {})) }
        }
        let forLater = Timers.rearms - before
        let deadline = start + .milliseconds(10)
        Timers.at(deadline, .call { firedAt = Clock.now().microseconds; done.up() })
        let forEarlier = Timers.rearms - before - forLater
        done.down()
        for id in ids { Timers.cancel(id) }
        let late = firedAt - deadline.microseconds
        check(forLater <= 1, "11 timers, each later than the last, armed the PIT \(forLater) times")
        check(forEarlier == 1, "an earlier timer armed the PIT \(forEarlier) times")
        check(late >= 0 && late < 3000, "the earlier timer late by \(late) us")
        print("timers: 11 timers each later than the last armed the PIT \(forLater) time(s), an earlier one \(forEarlier), late \(late) us")
    }

    static func tickless() {
        let before = Timers.interrupts
        Scheduler.sleep(.milliseconds(200))
        let n = Timers.interrupts - before
        // 200 ms needs 4 PIT hops (55 ms max each) plus slack; a 1 kHz tick would be 200.
        check(n <= 8, "idle 200 ms took \(n) timer interrupts")
        print("timers: idle 200 ms cost \(n) timer interrupts (tickless)")
    }
}
