// Scenario `signals`: the program `signals` checks catching, raising and
// the cutting short of getreq, sleep and a queued trans inside one process
// of four threads, then raises a signal nobody catches, which must end the
// process (its server thread, blocked in getreq, included). Then the kernel
// signals two more processes from outside: one catches the signal in the
// middle of a long sleep and exits normally; one catches nothing and is
// ended. Every page comes back.
import AmoebaCore
import KernelCore

enum SignalScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("signals: FAILED \(what)") }
    }

    static func start(_ name: String, _ argument: UInt32) -> Process? {
        let p = Scenarios.start(name, Scenarios.program(program_signals(), program_signals_size()), argument)
        check(p != nil, "loading \(name)")
        return p
    }

    static func run() {
        let freeBefore = Kernel.pages!.freeCount
        var p = start("signals", 1)
        p?.finished.down()
        check(p?.ending == .aborted("uncaught signal 12"), "the uncaught signal ended the process")

        var catcher = start("catcher", 2)
        var plain = start("plain", 3)
        Scheduler.sleep(.milliseconds(5))
        if let catcher { Signals.raise(10, in: catcher) }
        if let plain { Signals.raise(11, in: plain) }
        catcher?.finished.down()
        plain?.finished.down()
        check(catcher?.ending == .exited(0), "a process caught the kernel's signal in its sleep and exited")
        check(plain?.ending == .aborted("uncaught signal 11"), "a process catching nothing was ended by the kernel's signal")

        p = nil; catcher = nil; plain = nil
        Scheduler.sleep(.milliseconds(1))   // let the last threads be reaped
        let leaked = freeBefore - Kernel.pages!.freeCount
        print("signals: \(Signals.raised) raised, \(Signals.delivered) catchers run, \(Signals.catching.count) threads still catching, \(leaked) pages not yet returned")
        check(leaked == 0 && Signals.catching.isEmpty, "every page returned, no catcher left")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) signal checks failed") }
    }
}
