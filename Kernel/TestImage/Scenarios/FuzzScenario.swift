// Scenario `syscallfuzz`: several fuzzing processes (the `fuzz` program:
// random system calls with random arguments) at once, each restarted with
// the next seed when the kernel aborts it or its budget is spent, beside a
// well-behaved process that must finish correctly, with most of the page
// frames held by the scenario so the fuzzers run under memory pressure.
// The kernel must never stop. The same seeds run twice: after the second
// pass every page and every heap allocation is back where the first left
// them (the first grows tables that keep their capacity; allocations are
// counted rather than bytes, as in `limits`).
//
// `fuzzcalls=N` on the command line sets the system calls per pass
// (default 20000); `fuzzseed=S` the first seed (default 1).
import AmoebaCore
import KernelCore

enum FuzzScenario {
    static let slots = 4
    /// A fuzzer that has not ended in this long is stopped (it may wait in
    /// getreq or for another fuzzer's reply for ever).
    static let episodeLimit = Interval.milliseconds(300)
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("syscallfuzz: FAILED \(what)") }
    }

    static func number(_ key: String, _ fallback: Int) -> Int {
        guard let s = Kernel.commandLine.value(of: key), let n = Int(s) else { return fallback }
        return n
    }

    static func run() {
        let calls = number("fuzzcalls", 20000)
        let seed = number("fuzzseed", 1)
        let freeBefore = Kernel.pages!.freeCount
        pass(calls: calls, firstSeed: seed)
        let heapBefore = kernelHeap!.statistics
        pass(calls: calls, firstSeed: seed)
        let leaked = freeBefore - Kernel.pages!.freeCount
        let heapAfter = kernelHeap!.statistics
        print("syscallfuzz: \(leaked) pages not yet returned, heap blocks in use \(heapBefore.blocksInUse) after pass 1, \(heapAfter.blocksInUse) after pass 2 (\(heapBefore.bytesInUse) and \(heapAfter.bytesInUse) bytes)")
        check(leaked == 0, "every page returned")
        // A block or two more per pass, whatever the number of processes in
        // it, is not yet explained (see the note in Limits.swift; CI once saw
        // two). A leak per process, per thread or per call would show as
        // tens to thousands: a pass runs about 21 fuzzers and 24,000 calls.
        check(heapAfter.blocksInUse <= heapBefore.blocksInUse + 3, "every heap allocation returned")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) fuzz checks failed") }
    }

    static func pass(calls: Int, firstSeed: Int) {
        let start = SystemCalls.calls
        let began = Clock.now()
        // The well-behaved neighbour first, then the pressure: all but 2000
        // frames (8 MiB) held here, for the fuzzers to fight over.
        var worker = Scenarios.start("worker", Scenarios.program(program_hello(), program_hello_size()), 1)
        check(worker != nil, "the worker started")
        var held: [UInt32] = []
        held.reserveCapacity(Kernel.pages!.freeCount)
        while Kernel.pages!.freeCount > 2000, let f = Paging.allocateFrame() { held.append(f) }

        var running: [(Process, Instant)] = []
        var seed = firstSeed
        var episodes = 0, aborted = 0, exited = 0, notStarted = 0
        let perEpisode = UInt32(min(max(calls / 1000 / 8, 1), 0x7FFF))   // thousands of calls
        while Int(SystemCalls.calls - start) < calls || !running.isEmpty {
            let now = Clock.now()
            running.removeAll { p, since in
                if p.liveThreads == 0 && p.ending != .running {
                    if case .aborted = p.ending { aborted += 1 } else { exited += 1 }
                    return true
                }
                if now - since > episodeLimit { Signals.terminate(p, "fuzz episode over") }
                return false
            }
            while running.count < slots && Int(SystemCalls.calls - start) < calls {
                let argument = perEpisode << 16 | UInt32(seed & 0xFFFF)
                seed += 1
                episodes += 1
                if let p = Scenarios.start("fuzz", Scenarios.program(program_fuzz(), program_fuzz_size()), argument) {
                    running.append((p, now))
                } else {
                    notStarted += 1   // no memory for it: the others hold it
                    break
                }
            }
            Scheduler.sleep(.milliseconds(1))
        }
        for f in held { Paging.freeFrame(f) }
        held = []
        worker!.finished.down()
        check(worker!.ending == .exited(0), "the well-behaved worker finished correctly")
        worker = nil
        Scenarios.quiesce()
        let took = Clock.now() - began
        print("syscallfuzz: \(SystemCalls.calls - start) system calls in \(took.microseconds / 1000) ms, seeds \(firstSeed)-\(seed - 1): \(episodes) fuzzers, \(aborted) aborted, \(exited) exited, \(notStarted) not started for want of memory; worker ok")
    }
}
