// Wiring the core servers into the running kernel: the node servers (sys,
// tod, random and the kernel directory, one body shared with amunixd) and
// the tty (TTYService) get their identities here, read the machine through KernelHost,
// and a server thread each answers them through local IPC. Their
// capabilities go into the kernel directory, which is itself served the
// same way, so a client needs only the directory's capability to find the
// rest.
import AmoebaCore
import KernelCore
import NodeServers

enum KernelServers {
    static var directory: NodeDirectory? = nil

    static func randomPort() -> Port {
        while true {
            var bytes: [UInt8] = []
            for _ in 0..<6 { bytes.append(Entropy.nextByte()) }
            if let p = Port(bytes: bytes), !p.isNull { return p }
        }
    }

    static func identity(object: ObjectNumber = .server) -> ServiceIdentity {
        ServiceIdentity(getPort: randomPort(), random: randomPort(), object: object)
    }

    static func start() {
        Entropy.stir()
        // The directory and sys carry object 1, as in Amoeba. The
        // directory's ports come from the configured host secret when the
        // command line has one (HostIdentity.swift), so the host
        // capability outlives a reboot; the scenarios draw them at boot.
        let host = HostIdentity.configured(Kernel.commandLine) ?? identity(object: .node)
        let node = NodeServerSet(directory: host, system: identity(object: .node),
                                 time: identity(), random: identity())
        directory = node.directory
        for kind in NodeServerKind.allCases {
            // Each answers from memory, the clock and the entropy, never
            // blocking: the network thread may answer for it.
            LocalIPC.serve(kind.entryName ?? "kdir", getPort: node.identity(kind).getPort,
                           answersAtOnce: true) { request in
                var host = KernelHost()
                return Message(node.handle(kind, request.header, request.body, host: &host))
            }
        }
        TTYService.start(in: node.directory, identity: identity())
        SharedSegments.start()
        ProcessServer.start(in: node.directory)
        VirtualDisk.start(in: node.directory, host: host)
        FileServers.start(in: node.directory)
    }
}

/// The machine as the node servers see it: the RTC reading at boot plus the
/// clock since, RDRAND and the cycle counter, the kernel's statistics and
/// the console ring.
struct KernelHost: NodeHost {
    static let reports: [StatisticsReport] = [
        StatisticsReport(letter: "m", help: "memory"),
        StatisticsReport(letter: "t", help: "threads"),
        StatisticsReport(letter: "i", help: "interrupts"),
        StatisticsReport(letter: "c", help: "clock and timers"),
        StatisticsReport(letter: "r", help: "rpc"),
        StatisticsReport(letter: "n", help: "network interface"),
        StatisticsReport(letter: "d", help: "disk"),
    ]

    func wallClock() -> WallClock {
        WallClock(microsecondsSince1970: Kernel.bootUnixSeconds * 1_000_000 + Clock.now().microseconds)
    }

    mutating func fillRandom(_ bytes: inout [UInt8]) {
        Entropy.stir()
        for i in bytes.indices { bytes[i] = Entropy.nextByte() }
    }

    func statisticsReports() -> [StatisticsReport] { KernelHost.reports }

    func statistics(_ letter: UInt8) -> String {
        switch letter {
        case UInt8(ascii: "m"):
            let h = kernelHeap!.statistics
            let free = Kernel.pages?.freeCount ?? 0
            return "heap: \(h.bytesInUse) bytes in \(h.blocksInUse) blocks, \(h.freeBytes) free, high water \(h.highWater)\npages: \(free) free\n"
        case UInt8(ascii: "t"):
            return "threads: \(Scheduler.threadCount), switches \(Scheduler.switches), preemptions \(Scheduler.preemptions)\n"
        case UInt8(ascii: "i"):
            var s = ""
            for (line, n) in Interrupts.counts.enumerated() where n > 0 { s += "irq \(line): \(n)\n" }
            return s + "unclaimed: \(Interrupts.unclaimed)\n"
        case UInt8(ascii: "c"):
            return "uptime \(Clock.now().microseconds) us, TSC \(Clock.tscHz) Hz, timers pending \(Timers.queue.count), fired \(Timers.fired)\n"
        case UInt8(ascii: "r"):
            return "local transactions: \(LocalIPC.transactions)\n"
        case UInt8(ascii: "n"):
            return Network.report()
        case UInt8(ascii: "d"):
            return VirtualDisk.report()
        default:
            return ""
        }
    }

    /// Every report, one after the other.
    func statusText() -> String {
        var s = ""
        for r in KernelHost.reports { s += statistics(r.letter) }
        return s
    }

    func printBuffer() -> [UInt8]? { ConsoleLog.contents() }
}
