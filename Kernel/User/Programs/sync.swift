// The user threads' mutex, semaphore and barrier. With argument 1 it
// checks, printing one line each: mutual exclusion (four threads add to a
// counter with a yield inside the critical section), a producer and a
// consumer through a bounded buffer of two semaphores, a barrier keeping
// four threads in step over ten phases, the timeouts (try, and a timed
// wait) and the refusals (bad handles, unlocking what it does not hold,
// relocking, the per-process limit), and a caught signal cutting a
// semaphore wait short with STD_INTR. With argument 2 it leaves threads
// waiting on a mutex, a semaphore and a barrier and exits: the kernel must
// end them with the process.
import AmoebaCore
import KernelCore

var failures = 0
func check(_ ok: Bool, _ what: String) {
    if !ok { failures += 1; print("sync: FAILED \(what)") }
}

// Shared between the threads; each test touches them only under its own discipline.
var lock: Mutex? = nil
var counter = 0
var inside = 0
var overlapped = false
var slots: Semaphore? = nil
var items: Semaphore? = nil
var ring = [UInt32](repeating: 0, count: 4)
var consumed: UInt32 = 0
var phaseBarrier: Barrier? = nil
var phaseArrivals = [Int](repeating: 0, count: 10)
var outOfStep = false
var done: Semaphore? = nil
var interruptedWait: Semaphore? = nil
var interruptResult: ErrorCode = .ok
var caught: UInt32 = 0

@_cdecl("sync_adder")
func adder(_ unused: UInt32) {
    for _ in 0..<500 {
        lock!.lock()
        inside += 1
        if inside != 1 { overlapped = true }
        let seen = counter
        Amoeba.yield()                    // another thread runs here: only the lock keeps it out
        counter = seen + 1
        inside -= 1
        lock!.unlock()
    }
    done!.up()
    Amoeba.exitThread()
}

@_cdecl("sync_producer")
func producer(_ unused: UInt32) {
    for i in 1...300 as ClosedRange<UInt32> {
        slots!.down()
        ring[Int(i) % 4] = i
        items!.up()
    }
    done!.up()
    Amoeba.exitThread()
}

@_cdecl("sync_consumer")
func consumer(_ unused: UInt32) {
    for i in 1...300 as ClosedRange<UInt32> {
        items!.down()
        if ring[Int(i) % 4] == i { consumed += i }
        slots!.up()
    }
    done!.up()
    Amoeba.exitThread()
}

@_cdecl("sync_stepper")
func stepper(_ unused: UInt32) {
    for phase in 0..<10 {
        phaseArrivals[phase] += 1
        phaseBarrier!.arrive()
        if phaseArrivals[phase] != 4 { outOfStep = true }   // all four arrived before anyone went on
        if phase > 0, phaseArrivals[phase - 1] != 4 { outOfStep = true }
    }
    done!.up()
    Amoeba.exitThread()
}

@_cdecl("sync_catcher")
func syncCatcher(_ signal: Int32, _ extra: UInt32) { caught = UInt32(signal) }

@_cdecl("sync_interrupted")
func interruptedThread(_ unused: UInt32) {
    Signals.catchSignal(14, syncCatcher)
    done!.up()                            // catching now: the main thread may raise
    interruptResult = interruptedWait!.down()
    done!.up()
    Amoeba.exitThread()
}

@_cdecl("sync_forever")
func forever(_ kind: UInt32) {
    switch kind {
    case 1: lock!.lock()                  // held by the main thread: waits for ever
    case 2: interruptedWait!.down()
    default: phaseBarrier!.arrive()
    }
    print("sync: FAILED a thread left its wait before the process ended")
    Amoeba.exitThread()
}

func waitFor(_ n: Int) { for _ in 0..<n { done!.down() } }

func programMain(_ argument: UInt32) -> Int32 {
    lock = Mutex(); done = Semaphore(0); interruptedWait = Semaphore(0)
    guard lock != nil, done != nil, interruptedWait != nil else { print("sync: FAILED creating"); return 1 }
    if argument == 2 {
        lock!.lock()
        phaseBarrier = Barrier(parties: 3)
        _ = Amoeba.startThread(forever, argument: 1)
        _ = Amoeba.startThread(forever, argument: 2)
        _ = Amoeba.startThread(forever, argument: 3)
        Amoeba.sleep(microseconds: 20_000)
        print("sync: three threads waiting on a mutex, a semaphore and a barrier; exiting")
        return 0
    }

    for _ in 0..<4 { _ = Amoeba.startThread(adder, argument: 0) }
    waitFor(4)
    print("sync: mutex: 4 threads x 500 increments with a yield inside: \(counter), overlapped=\(overlapped)")
    check(counter == 2000 && !overlapped, "mutual exclusion")

    slots = Semaphore(4); items = Semaphore(0)
    _ = Amoeba.startThread(producer, argument: 0)
    _ = Amoeba.startThread(consumer, argument: 0)
    waitFor(2)
    print("sync: semaphores: 300 items through a buffer of 4, sum \(consumed)")
    check(consumed == 45150, "producer and consumer")

    phaseBarrier = Barrier(parties: 4)
    for _ in 0..<4 { _ = Amoeba.startThread(stepper, argument: 0) }
    waitFor(4)
    print("sync: barrier: 4 threads over 10 phases, in step=\(!outOfStep)")
    check(!outOfStep && phaseArrivals.allSatisfy { $0 == 4 }, "barrier")

    let empty = Semaphore(0)!
    let tried = empty.down(timeoutMicroseconds: 0)
    let timed = empty.down(timeoutMicroseconds: 20_000)
    lock!.lock()
    let relock = lock!.lock(timeoutMicroseconds: 0)
    lock!.unlock()
    let unheld = lock!.unlock()
    let badHandle = ErrorCode(rawValue: Int16(truncatingIfNeeded: systemCall(.waitSync, 63, 0)))
    let badKind = systemCall(.createSync, 9, 0)
    let badParties = systemCall(.createSync, 3, 1)
    print("sync: try \(tried.name), timed wait \(timed.name), relock \(relock.name), unlock not held \(unheld.name), bad handle \(badHandle.name), bad kind \(ErrorCode(rawValue: Int16(truncatingIfNeeded: badKind)).name), barrier of 1 \(ErrorCode(rawValue: Int16(truncatingIfNeeded: badParties)).name)")
    check(tried == .notNow && timed == .notNow && relock == .argumentBad && unheld == .argumentBad
          && badHandle == .argumentBad && badKind < 0 && badParties < 0, "timeouts and refusals")

    var made = 0
    var extra: [Semaphore] = []
    while let s = Semaphore(1) { extra.append(s); made += 1; if made > 100 { break } }
    let busy = lock!.object.destroy()
    var destroyed = 0
    for s in extra where s.object.destroy() == .ok { destroyed += 1 }
    let again = Semaphore(1) != nil
    print("sync: \(made) more objects, then STD_NOSPACE; destroyed \(destroyed); one made again=\(again)")
    check(made + 7 == 64 && destroyed == made && again && busy == .ok, "the per-process limit")

    _ = Amoeba.startThread(interruptedThread, argument: 0)
    waitFor(1)
    Amoeba.sleep(microseconds: 10_000)    // it is waiting now
    Signals.raise(14)
    waitFor(1)
    print("sync: semaphore wait cut short by signal 14: \(interruptResult.name), catcher ran=\(caught == 14)")
    check(interruptResult == .interrupted && caught == 14, "a signal cuts a wait short")

    print("sync: \(failures) failures")
    return failures == 0 ? 0 : 1
}
