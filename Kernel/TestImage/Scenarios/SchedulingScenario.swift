// Scenario `sched`: the scheduler keeps its promises. Ready threads run in
// two-level priority order; equal threads take turns when they yield; a
// kernel thread is never preempted; preemptible threads share the CPU by
// time slice with their SSE state intact; a better thread woken by a timer
// preempts a preemptible one at once; mutex, semaphore, barrier and
// await/wakeup block and wake as they should.
import AmoebaCore
import KernelCore

enum SchedulingScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("sched: FAILED \(what)") }
    }

    static func run() {
        priorityOrder()
        roundRobin()
        nonPreemptiveKernelThreads()
        synchronisation()
        timeSlices()
        freshSliceAtEverySwitch()
        preemptionByBetterThread()
        print("sched: \(Scheduler.switches) switches, \(Scheduler.preemptions) preemptions")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) scheduling checks failed") }
    }

    static func priorityOrder() {
        var log: [String] = []
        let done = Semaphore(0)
        let specs: [(String, PriorityLevel, PriorityLevel)] = [
            ("LOW/LOW", .low, .low), ("NORM/HIGH", .normal, .high), ("HIGH/LOW", .high, .low),
            ("NORM/NORM", .normal, .normal), ("HIGH/HIGH", .high, .high), ("NORM/LOW", .normal, .low),
        ]
        for (name, p, t) in specs {
            Scheduler.spawn(name, priority: Priority(process: p, thread: t)) { log.append(name); done.up() }
        }
        for _ in specs { done.down() }
        let expected = ["HIGH/HIGH", "HIGH/LOW", "NORM/HIGH", "NORM/NORM", "NORM/LOW", "LOW/LOW"]
        check(log == expected, "priority order")
        print("sched: priority order \(joined(log))")
    }

    static func roundRobin() {
        var log = ""
        let done = Semaphore(0)
        for name in ["a", "b", "c"] {
            Scheduler.spawn(name) {
                for _ in 0..<3 { log += name; Scheduler.yield() }
                done.up()
            }
        }
        for _ in 0..<3 { done.down() }
        check(log == "abcabcabc", "round robin, got \(log)")
        print("sched: round robin \(log)")
    }

    static func nonPreemptiveKernelThreads() {
        var log = ""
        let done = Semaphore(0)
        Scheduler.spawn("spinner") {
            let end = Clock.now() + .milliseconds(40)
            log += "s"
            while Clock.now() < end { cpu_pause() }   // several time slices, interrupts on
            log += "S"
            done.up()
        }
        Scheduler.spawn("other") { log += "o"; done.up() }
        done.down(); done.down()
        check(log == "sSo", "a kernel thread keeps the CPU, got \(log)")
        print("sched: kernel thread not preempted: \(log)")
    }

    static func synchronisation() {
        // Mutex held across yields: no other thread gets inside.
        let m = Mutex()
        var inside = 0, maxInside = 0, total = 0
        let done = Semaphore(0)
        for i in 0..<4 {
            Scheduler.spawn("m\(i)") {
                for _ in 0..<5 {
                    m.lock()
                    inside += 1; maxInside = max(maxInside, inside)
                    Scheduler.yield()
                    total += 1
                    inside -= 1
                    m.unlock()
                    Scheduler.yield()
                }
                done.up()
            }
        }
        for _ in 0..<4 { done.down() }
        check(maxInside == 1 && total == 20, "mutex exclusion (max inside \(maxInside), total \(total))")

        // Barrier: nobody passes before the last arrives.
        let barrier = Barrier(parties: 3)
        var arrived = 0, passedEarly = false
        for i in 0..<3 {
            Scheduler.spawn("b\(i)") {
                arrived += 1
                barrier.arrive()
                if arrived < 3 { passedEarly = true }
                done.up()
            }
        }
        for _ in 0..<3 { done.down() }
        check(!passedEarly && arrived == 3, "barrier")

        // await/wakeup: a wakeup reaches the awaiting thread; a timeout ends a wait nobody wakes.
        var result = false
        Scheduler.spawn("awaiter") { result = Events.await(42, timeout: .milliseconds(500)); done.up() }
        Scheduler.sleep(.milliseconds(1))
        let woken = Events.wakeup(42)
        done.down()
        check(woken == 1 && result, "wakeup reaches the awaiter")
        check(!Events.await(43, timeout: .milliseconds(2)), "await times out")
        check(Events.wakeup(44) == 0, "wakeup of nobody")
        print("sched: mutex max inside \(maxInside) total \(total); barrier ok=\(!passedEarly); await/wakeup ok=\(woken == 1 && result)")
    }

    static func timeSlices() {
        let done = Semaphore(0)
        var trace: [Int] = []
        var sums: [Double] = [0, 0]
        var counts: [Int] = [0, 0]
        for k in 0..<2 {
            Scheduler.spawn("user\(k)", preemptible: true) {
                // Vectorisable floating-point work for 60 ms: the SSE registers
                // are live across every preemption.
                let scale = k == 0 ? 0.5 : 0.25
                let end = Clock.now() + .milliseconds(60)
                var s = 0.0
                var i = 0
                while Clock.now() < end {
                    for j in 0..<4096 { s += Double(j & 1023) * scale }
                    i += 4096
                    if trace.last != k { trace.append(k) }
                }
                sums[k] = s
                counts[k] = i
                done.up()
            }
        }
        done.down(); done.down()
        var expected = [0.0, 0.0]
        for k in 0..<2 {
            let scale = k == 0 ? 0.5 : 0.25
            var s = 0.0
            for _ in 0..<(counts[k] / 4096) {
                for j in 0..<4096 { s += Double(j & 1023) * scale }
            }
            expected[k] = s
        }
        check(trace.count >= 6, "time slices interleave two preemptible threads (\(trace.count) turns)")
        check(sums == expected, "SSE state survives preemption")
        print("sched: time slicing gave \(trace.count) turns in 120 ms; sums intact=\(sums == expected)")
    }

    /// A preemptible thread switched in half-way through another's slice
    /// still gets a whole slice of its own before it is preempted.
    static func freshSliceAtEverySwitch() {
        let done = Semaphore(0)
        var firstRun: [Int64] = [-1, -1]
        let slice = Scheduler.timeSlice.microseconds
        Scheduler.spawn("half", preemptible: true) {
            let end = Clock.now() + .microseconds(slice / 2)
            while Clock.now() < end { cpu_pause() }
            Scheduler.sleep(.milliseconds(60))   // the next thread comes in mid-slice
            done.up()
        }
        for k in 0..<2 {
            Scheduler.spawn("full\(k)", preemptible: true) {
                let start = Clock.now()
                var last = start
                while Clock.now() < start + .milliseconds(40) {
                    let now = Clock.now()
                    // A gap in the clock is the time another thread ran.
                    if firstRun[k] < 0 && (now - last).microseconds > 500 { firstRun[k] = (last - start).microseconds }
                    last = now
                }
                done.up()
            }
        }
        done.down(); done.down(); done.down()
        let whole = firstRun.allSatisfy { $0 >= slice * 9 / 10 && $0 <= slice * 11 / 10 }
        check(whole, "a thread switched in mid-slice runs a whole slice (ran \(firstRun[0]) and \(firstRun[1]) us of \(slice))")
        print("sched: fresh slice at every switch: ran \(firstRun[0]) us and \(firstRun[1]) us before preemption, slice \(slice) us; whole=\(whole)")
    }

    static func preemptionByBetterThread() {
        let done = Semaphore(0)
        var spinnerDone = false
        var latency: Int64 = -1
        var spinnerWasRunning = false
        Scheduler.spawn("low-spinner", priority: Priority(process: .low), preemptible: true) {
            let end = Clock.now() + .milliseconds(60)
            while Clock.now() < end { cpu_pause() }
            spinnerDone = true
            done.up()
        }
        Scheduler.spawn("high-sleeper", priority: Priority(process: .high)) {
            let deadline = Clock.now() + .milliseconds(15)
            Scheduler.sleep(deadline - Clock.now())
            latency = (Clock.now() - deadline).microseconds
            spinnerWasRunning = !spinnerDone
            done.up()
        }
        done.down(); done.down()
        check(spinnerWasRunning && latency >= 0 && latency < 3000,
              "high thread preempts a spinning low thread (latency \(latency) us)")
        print("sched: high thread preempted the spinner after \(latency) us")
    }

    static func joined(_ a: [String]) -> String {
        var s = ""
        for (i, x) in a.enumerated() { s += (i == 0 ? "" : " ") + x }
        return s
    }
}
