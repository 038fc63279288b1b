// The scenarios the test runner boots (scripts/kernel-test.sh): each is a
// self-checking program run by the boot thread, which prints its findings
// on the console and ends the machine with pass or fail through
// isa-debug-exit. Only the test image carries them.
import AmoebaCore
import NodeServers

enum Scenarios {
    static func run(_ name: String) {
        switch name {
        case "": return
        case "boot": Machine.pass()
        case "fault": faultInKernel()
        case "timers": TimerScenario.run()
        case "sched": SchedulingScenario.run()
        case "heap": HeapScenario.run()
        case "servers": ServerScenario.run()
        case "processes": ProcessScenario.run()
        case "measure": MeasureScenario.run()
        case "segments": SegmentScenario.run()
        case "signals": SignalScenario.run()
        case "nodecore": NodeCoreScenario.run()
        case "limits": LimitsScenario.run()
        case "syscallfuzz": FuzzScenario.run()
        case "disk": DiskScenario.run()
        case "sync": SyncScenario.run()
        case "tty": TTYScenario.run()
        case "procsegs": ProcSegmentScenario.run()
        default: Machine.fail("unknown scenario \(name)")
        }
    }

    /// A program carried in the image, as the bytes of its ELF file.
    static func program(_ start: UnsafePointer<UInt8>?, _ size: UInt32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: Int(size))
    }

    /// Starts `image` as a process that finds the kernel directory; nil when
    /// it does not load (the caller's scenario counts that as a failure).
    static func start(_ name: String, _ image: UnsafeRawBufferPointer, _ argument: UInt32) -> Process? {
        do throws(Process.LoadError) {
            return try Process.start(name, program: image, arguments: [argument],
                                     directory: KernelServers.directory!.identity.capability)
        } catch {
            return nil
        }
    }

    /// Lets what ended settle before the scenario counts pages and heap
    /// bytes: the timers of killed sleepers run out (user sleeps in the
    /// tests are short), and exited threads, which hold their process and
    /// so its memory, are reaped now rather than when the next thread starts.
    static func quiesce() {
        Scheduler.sleep(.milliseconds(20))
        Scheduler.reap()
    }

    /// Checks the kernel-fault path: a divide by zero must give a register dump.
    static func faultInKernel() {
        print("[kernel] dividing by zero in the kernel on purpose")
        print(100 / opaque_zero())
    }
}
