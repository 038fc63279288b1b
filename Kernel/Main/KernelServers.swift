// Wiring the core servers into the running kernel: each gets fresh random
// ports, its pure handler from KernelCore gets the kernel's real clock,
// entropy, statistics and console, and a server thread answers it through
// local IPC. Their capabilities go into the kernel directory, which is
// itself served the same way, so a client needs only the directory's
// capability to find the rest.
import AmoebaCore
import KernelCore

enum KernelServers {
    static var directory: KernelDirectory? = nil

    static func randomPort() -> Port {
        while true {
            var bytes: [UInt8] = []
            for _ in 0..<6 { bytes.append(Entropy.nextByte()) }
            if let p = Port(bytes: bytes), !p.isNull { return p }
        }
    }

    static func identity() -> ServiceIdentity {
        ServiceIdentity(getPort: randomPort(), random: randomPort())
    }

    static func start() {
        Entropy.stir()
        let dir = KernelDirectory(identity: identity())
        let sys = SystemServer(identity: identity(), reports: reports(), printBuffer: { ConsoleLog.contents() })
        let tod = TimeServer(identity: identity()) {
            Kernel.bootUnixSeconds * 1_000_000 + Clock.now().microseconds
        }
        let random = RandomServer(identity: identity()) { bytes in
            Entropy.stir()
            for i in bytes.indices { bytes[i] = Entropy.nextByte() }
        }
        let tty = TTYServer(identity: identity(), name: "tty:00") { bytes in
            for b in bytes { Serial.write(b) }
        }
        try? dir.add("sys", sys.identity.capability)
        try? dir.add("tod", tod.identity.capability)
        try? dir.add("random", random.identity.capability)
        try? dir.add("tty:00", tty.identity.capability)
        directory = dir
        LocalIPC.serve("kdir", getPort: dir.identity.getPort) { dir.handle($0) }
        LocalIPC.serve("sys", getPort: sys.identity.getPort) { sys.handle($0) }
        LocalIPC.serve("tod", getPort: tod.identity.getPort) { tod.handle($0) }
        LocalIPC.serve("random", getPort: random.identity.getPort) { random.handle($0) }
        LocalIPC.serve("tty:00", getPort: tty.identity.getPort) { tty.handle($0) }
        SharedSegments.start()
    }

    static func reports() -> [SystemServer.Report] {
        [
            .init(letter: "m", title: "memory") {
                let h = kernelHeap!.statistics
                let free = Kernel.pages?.freeCount ?? 0
                return "heap: \(h.bytesInUse) bytes in \(h.blocksInUse) blocks, \(h.freeBytes) free, high water \(h.highWater)\npages: \(free) free\n"
            },
            .init(letter: "t", title: "threads") {
                "threads: \(Scheduler.threadCount), switches \(Scheduler.switches), preemptions \(Scheduler.preemptions)\n"
            },
            .init(letter: "i", title: "interrupts") {
                var s = ""
                for (line, n) in Interrupts.counts.enumerated() where n > 0 { s += "irq \(line): \(n)\n" }
                return s + "unclaimed: \(Interrupts.unclaimed)\n"
            },
            .init(letter: "c", title: "clock and timers") {
                "uptime \(Clock.now().microseconds) us, TSC \(Clock.tscHz) Hz, timers pending \(Timers.queue.count), fired \(Timers.fired)\n"
            },
            .init(letter: "r", title: "rpc") { "local transactions: \(LocalIPC.transactions)\n" },
            .init(letter: "n", title: "network interface") {
                guard let nic = Network.interface else { return "no network interface\n" }
                return "virtio-net \(Network.text(mac: nic.mac)) irq \(nic.irq)\n" + nic.statistics.text
            },
        ]
    }
}
