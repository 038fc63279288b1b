// Scenario `sync`: the user threads' mutex, semaphore and barrier. The
// program `sync` checks them from inside (argument 1); then a second
// process leaves three threads waiting on a mutex, a semaphore and a
// barrier and exits (argument 2): they must end with it at once, not at a
// timeout, and every page must come back.
import AmoebaCore
import KernelCore

enum SyncScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("sync: FAILED \(what)") }
    }

    static func run() {
        let freeBefore = Kernel.pages!.freeCount
        var p = Scenarios.start("sync", Scenarios.program(program_sync(), program_sync_size()), 1)
        check(p != nil, "loading sync")
        p?.finished.down()
        check(p?.ending == .exited(0), "sync's own checks")

        p = Scenarios.start("syncleaver", Scenarios.program(program_sync(), program_sync_size()), 2)
        let start = Clock.now()
        p?.finished.down()
        let took = Clock.now() - start
        check(p?.ending == .exited(0), "the leaving process exited")
        print("sync: waiting threads ended with their process in \(took.microseconds) us")
        check(took < .milliseconds(500), "the waiters did not hold the process")

        p = nil
        Scenarios.quiesce()
        let leaked = freeBefore - Kernel.pages!.freeCount
        print("sync: \(leaked) pages not yet returned")
        check(leaked == 0, "every page returned")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) sync checks failed") }
    }
}
