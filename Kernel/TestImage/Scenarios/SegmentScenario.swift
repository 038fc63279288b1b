// Scenario `segments`: shared segments between two protected processes.
// A server process waits for capabilities; a client process creates an
// in-core segment, checks the kernel's refusals and the segment service's
// std commands, and sends the capability to the server, which maps it: each
// sees the other's writes, the segment outlives the client's unmap and
// dies with the server's. Then the server is sent a read-only capability
// and writes through it anyway: only the server is aborted, and the client
// carries on. The client then creates 16 MiB segments until the page
// allocator runs dry (an error code, the failed one undone). At the end
// every page the segments and the processes took is back with the page
// allocator.
import AmoebaCore
import KernelCore

enum SegmentScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("segments: FAILED \(what)") }
    }

    static func start(_ name: String, _ argument: UInt32) -> Process? {
        let p = Scenarios.start(name, Scenarios.program(program_segments(), program_segments_size()), argument)
        check(p != nil, "loading \(name)")
        return p
    }

    static func run() {
        let freeBefore = Kernel.pages!.freeCount
        let returnedBefore = SharedSegments.pagesReturned
        var server = start("segserver", 0x31)
        let put = Port(bytes: [0x31, 0x53, 0x45, 0x47, 0x53, 0x56])!.putPort
        var waited = 0
        while LocalIPC.listener(forPutPort: put) == nil && waited < 100 { Scheduler.sleep(.milliseconds(1)); waited += 1 }
        var client = start("segclient", 1)
        guard server != nil, client != nil else { Machine.fail("segment processes did not start") }
        client!.finished.down()
        check(client!.ending == .exited(0), "the client's checks passed and it exited with status 0")
        server!.finished.down()
        if case let .aborted(why) = server!.ending {
            check(why.hasPrefix("write to a read-only mapping of a shared segment"), "server aborted for the write, got \(why)")
        } else {
            check(false, "the server was not aborted")
        }
        client = nil
        server = nil
        Scheduler.sleep(.milliseconds(1))   // let the last threads be reaped
        let live = SharedSegments.service?.segments.count ?? -1
        let returned = SharedSegments.pagesReturned - returnedBefore
        let leaked = freeBefore - Kernel.pages!.freeCount
        print("segments: \(returned) segment pages returned, \(live) segments left, \(leaked) pages not yet returned")
        check(live == 0 && returned >= 5 + 4096 && (returned - 5) % 4096 == 0,
              "the 3, 1 and 1 page segments and the 16 MiB ones freed with their last mapping")
        check(leaked == 0, "every page returned")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) segment checks failed") }
    }
}
