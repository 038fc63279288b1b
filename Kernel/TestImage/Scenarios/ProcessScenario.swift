// Scenario `processes`: protected user processes. A program from the boot
// image runs in ring 3, finds tty:00 and tod through the kernel directory
// and exits normally; another allocates a segment and uses it. Then, while
// a worker process keeps computing, a faulty program is started once per
// kind of misbehaviour — null pointer, kernel memory, divide by zero,
// illegal instruction, stack overflow (of the main stack and of a second
// thread's stack, into its guard page), bad system call number, bad system
// call argument, write to its own text, privileged instruction, sig return
// without a signal context, a kernel pointer as a capability — and each
// time only that process is aborted, with a message naming the fault. The
// worker finishes with the right result, and the kernel passes.
import AmoebaCore
import KernelCore

enum ProcessScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("processes: FAILED \(what)") }
    }

    static func run(_ name: String, _ image: UnsafeRawBufferPointer, _ argument: UInt32) -> Process? {
        let p = Scenarios.start(name, image, argument)
        check(p != nil, "loading \(name)")
        return p
    }

    /// A process serving transactions (getreq/putrep in user mode) with a
    /// second thread of its own; the kernel calls it like any server.
    static func userServer() {
        let image = Scenarios.program(program_server(), program_server_size())
        guard let p = run("server", image, 0x21) else { return }
        let put = Port(bytes: [0x21, 0x53, 0x45, 0x52, 0x56, 0x45])!.putPort
        func call(_ command: UInt16, offset: Int32 = 0, size: UInt16 = 0, _ data: [UInt8] = []) -> Message {
            var h = Header()
            h.port = put
            h.command = command
            h.offset = offset
            h.size = size
            return LocalIPC.trans(Message(header: h, body: data))
        }
        // Like a locate: give the process time to reach its first getreq.
        var waited = 0
        while LocalIPC.listener(forPutPort: put) == nil && waited < 100 { Scheduler.sleep(.milliseconds(1)); waited += 1 }
        let echo = call(1, [1, 2, 3, 4])
        check(echo.header.status == .ok && echo.body == [4, 3, 2, 1], "user server echo")
        let sum = call(2, offset: 40, size: 2)
        check(sum.header.offset == 42, "user server add")
        check(call(5).header.status == .commandBad, "user server refuses unknown commands")
        Scheduler.sleep(.milliseconds(5))
        let helper = call(3)
        check(helper.header.offset != 0, "second thread of the process ran and exited")
        check(call(99).header.status == .ok, "user server stop")
        p.finished.down()
        check(p.ending == .exited(0), "user server exits with status 0")
        print("processes: user server answered echo, add, refusal; its helper thread finished; exited \(p.ending == .exited(0))")
    }

    /// A process whose threads all wait in the kernel ends: every one of
    /// them stops at once (not when what it waits for comes), and the
    /// request one of them held for the kernel is answered RPC_FAILURE.
    /// One of its threads is meanwhile the client of another process, which
    /// replies after the client is gone: that putrep is taken quietly and
    /// the server carries on.
    static func teardown() {
        guard let server = run("server", Scenarios.program(program_server(), program_server_size()), 0x22) else { return }
        let serverPut = Port(bytes: [0x22, 0x53, 0x45, 0x52, 0x56, 0x45])!.putPort
        var waited = 0
        while LocalIPC.listener(forPutPort: serverPut) == nil && waited < 100 { Scheduler.sleep(.milliseconds(1)); waited += 1 }
        let image = Scenarios.program(program_blocker(), program_blocker_size())
        guard let p = run("blocker", image, 0x33) else { return }
        let put = Port(bytes: [2, 0x33, 0x42, 0x4C, 0x4B, 0x21])!.putPort
        waited = 0
        while LocalIPC.listener(forPutPort: put) == nil && waited < 100 { Scheduler.sleep(.milliseconds(1)); waited += 1 }
        var h = Header()
        h.port = put
        let start = Clock.now()
        let reply = LocalIPC.trans(Message(header: h))     // held until the process ends
        let ended = p.finished.down(timeout: .milliseconds(100))
        let took = (Clock.now() - start).microseconds
        check(reply.header.status == .rpcFailure, "the request an ended process held is answered RPC_FAILURE (got \(reply.header.status.name))")
        check(ended && p.ending == .exited(0) && p.liveThreads == 0 && p.threads.isEmpty,
              "every thread stops at once: getreq, trans, sleep, interrupt await, holding requests (\(p.liveThreads) left)")
        check(took < 100_000, "the process ended within 100 ms of the call, not after its minute-long waits (\(took) us)")
        print("processes: blocker's threads in getreq, trans, sleep, interrupt await and holding requests stopped at its exit: \(p.liveThreads) left, \(took) us after the call; held request answered \(reply.header.status.name)")
        // The server's slow reply (150 ms after the blocker's remote client
        // called, ~100 ms after that client's process ended) is still to come.
        check(took < 140_000, "the blocker ended before the server's reply to it was due")
        Scheduler.sleep(.milliseconds(160))
        var h2 = Header()
        h2.port = serverPut
        h2.command = 2
        h2.offset = 1
        h2.size = 2
        let after = LocalIPC.trans(Message(header: h2))
        check(after.header.status == .ok && after.header.offset == 3 && after.header.extra == 0,
              "the server's putrep to a client that died is taken quietly (returned \(Int16(bitPattern: after.header.extra))) and it serves on")
        var stop = Header()
        stop.port = serverPut
        stop.command = 99
        _ = LocalIPC.trans(Message(header: stop))
        server.finished.down()
        print("processes: a server replied to a client whose process had ended: putrep returned \(Int16(bitPattern: after.header.extra)), next request answered \(after.header.status.name); exited \(server.ending == .exited(0))")
    }

    static func run() {
        let hello = Scenarios.program(program_hello(), program_hello_size())
        let faulty = Scenarios.program(program_faulty(), program_faulty_size())
        let freeBefore = Kernel.pages!.freeCount

        if let p = run("hello", hello, 0) {
            p.finished.down()
            check(p.ending == .exited(0), "hello exits with status 0")
        }
        if let p = run("segments", hello, 2) {
            p.finished.down()
            check(p.ending == .exited(0), "segment allocation works")
        }

        userServer()
        teardown()
        if let p = run("driver", hello, 3) {
            p.finished.down()
            check(p.ending == .exited(0), "a user driver awaits IRQ 8 (shared with the kernel's RTC handler)")
            let rtc = Interrupts.counts[8]
            check(rtc >= 10 && Interrupts.handlers[8].count == 2, "IRQ 8 has two handlers, both run (\(rtc) interrupts)")
            print("processes: user driver awaited IRQ 8 on a shared line (\(Interrupts.handlers[8].count) handlers, \(rtc) interrupts)")
        }

        var worker = run("worker", hello, 1)
        guard worker != nil else { Machine.fail("no worker") }
        let expected: [(UInt32, String)] = [
            (1, "page fault (write, not present) at 0x00000000 (null pointer)"),   // page 0 is unmapped
            (2, "page fault (read, protection) at 0x00100000"),
            (3, "divide error"),
            (4, "invalid opcode"),
            (5, "stack overflow"),
            (6, "bad system call number 99"),
            (7, "bad system call argument"),
            (8, "page fault (write, protection) at 0x40000000"),
            (9, "general protection"),
            (10, "stack overflow"),
            (11, "sig return with no signal context"),
            (12, "bad system call argument: 16 bytes at 0x00100000"),
        ]
        for (way, reason) in expected {
            guard let p = run("faulty\(way)", faulty, way) else { continue }
            p.finished.down()
            if case let .aborted(why) = p.ending {
                check(why.hasPrefix(reason), "way \(way): expected \(reason), got \(why)")
            } else {
                check(false, "way \(way) was not aborted")
            }
        }
        worker!.finished.down()
        check(worker!.ending == .exited(0), "the worker carried on and finished correctly")
        worker = nil
        Scheduler.sleep(.milliseconds(1))   // let the last threads be reaped
        let leaked = freeBefore - Kernel.pages!.freeCount
        print("processes: \(Process.nextID - 1) processes run, \(SystemCalls.calls) system calls, \(leaked) pages not yet returned")
        check(leaked == 0, "every process's pages returned")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) process checks failed") }
    }
}
