// The daemon's event loop: one thread that drives the shared FLIP box and
// RPC machine against real links and real programs.
//
// The protocol code does no I/O, so this loop is where the world meets it:
// poll() waits for a frame on any link, a program on the local socket, or
// the earliest protocol deadline; whatever woke it is fed in, and then the
// loop drains the box's and the RPC node's events until both are quiet
// (frames out to links, deliveries up to RPC, completions out to programs
// and to the host's own servers). Being a single thread, it needs no locks:
// the only thing other threads may do is ask it to stop, through a pipe.

import AmoebaCore
import Amunix
import FLIP
import Logging
import RPC
#if canImport(Glibc)
import Glibc
#endif

public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
}

public final class Daemon: @unchecked Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    let box: FLIPBox
    /// Two RPC machines on one box: one for the transactions this host
    /// starts, one for the ports it serves. A machine does not hear its own
    /// port locates, and a program here may well call a server here.
    let rpc: RPCNode
    let serverRPC: RPCNode
    var links: [any Link] = []
    var injectors: [FaultInjector] = []
    let local: LocalAPIServer
    public let hostServers: HostServers
    let metrics = DaemonMetrics()
    var random: SeededGenerator
    let started: Instant

    // Who is waiting for what.
    enum Owner: Hashable { case program(connection: Int, call: UInt32), hosted(HostedKind) }
    var transactions: [TransactionID: (connection: Int, call: UInt32, deadline: Instant?)] = [:]
    var slotOwners: [ServerSlotID: Owner] = [:]
    /// Requests handed to a program and not yet answered, by (connection, call).
    var serving: [ConnectionCall: ServerSlotID] = [:]
    /// Slots whose reply is out but not yet acknowledged.
    var repliesInFlight = 0

    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var stopRequested = false
    private var fds: [pollfd] = []
    private var conns: [LocalConnection] = []
    var draining = false
    private var drainDeadline = Instant.zero

    public init(configuration: DaemonConfiguration, logger: Logger) throws(DaemonError) {
        self.configuration = configuration
        self.logger = logger
        var seed = configuration.seed ?? 0
        if configuration.seed == nil {
            var g = SystemRandomNumberGenerator()
            seed = g.next()
        }
        random = SeededGenerator(seed: seed)
        started = MonotonicClock.now

        box = FLIPBox(configuration: configuration.flip)
        for spec in configuration.links {
            let link: any Link
            do {
                switch spec.kind {
                case .udp(let lp, let host, let rp):
                    link = try UDPLink(name: spec.text, localPort: lp, remoteHost: host, remotePort: rp,
                                       mac: randomLocalMAC(using: &random))
                case .multicast(let group, let port):
                    link = try UDPLink(name: spec.text, group: group, port: port, interface: spec.multicastInterface,
                                       ttl: spec.multicastTTL, mac: randomLocalMAC(using: &random))
                case .pcap(let iface):
                    link = try PcapLink(name: spec.text, interface: iface)
                }
            } catch {
                for l in links { l.close() }
                throw DaemonError(description: error.description)
            }
            links.append(link)
            injectors.append(FaultInjector(spec.faults))
            _ = box.addInterface(mac: link.mac, weight: spec.weight)
        }
        rpc = RPCNode(box: box, kid: FLIPAddress.random(using: &random),
                      privateAddress: FLIPAddress.random(using: &random), configuration: configuration.rpc)
        serverRPC = RPCNode(box: box, kid: FLIPAddress.random(using: &random),
                            privateAddress: FLIPAddress.random(using: &random), configuration: configuration.rpc)
        hostServers = HostServers(hostName: configuration.hostName, using: &random)

        do {
            local = try LocalAPIServer(path: configuration.socketPath)
        } catch {
            for l in links { l.close() }
            throw DaemonError(description: error.description)
        }
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        setNonBlocking(wakeRead)
        setNonBlocking(wakeWrite)

        if configuration.hostsServers {
            for o in hostServers.objects {
                for _ in 0..<2 { listen(for: o.kind) }
            }
            do { try writeCapabilities() } catch { logger.warning("\(error)") }
        }
        for l in links { logger.info("link \(l.name) up, mac \(Hex.encode(l.mac.bytes, separator: ":"))") }
        logger.info("FLIP address \(rpc.address.hex), local API at \(configuration.socketPath)")
        logger.debug("seed \(seed)")
    }

    /// Asks the loop to stop; safe from any thread or a signal handler.
    /// With `drain`, transactions in flight finish first (bounded by the
    /// configured drain timeout).
    public func requestStop() {
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    /// Runs the loop on the calling thread until stopped.
    public func run() {
        pump(now: MonotonicClock.now)
        while true {
            let now = MonotonicClock.now
            if stopRequested && !draining {
                draining = true
                drainDeadline = now + configuration.drainTimeout
                local.closeListener()
                logger.info("stopping: draining \(transactions.count) transactions and \(repliesInFlight) replies")
            }
            if draining && ((transactions.isEmpty && repliesInFlight == 0) || drainDeadline <= now) {
                break
            }
            pollOnce(now: now)
        }
        shutdown()
    }

    private func shutdown() {
        for conn in local.connections.values { local.flush(conn) }
        local.closeAll()
        rpc.shutdown()
        serverRPC.shutdown()
        for l in links { l.close() }
        close(wakeRead)
        close(wakeWrite)
        if configuration.hostsServers {
            for kind in HostedKind.allCases { unlink(capabilityPath(kind)) }
        }
        logger.info("stopped")
    }

    // MARK: one turn of the loop

    private func pollOnce(now: Instant) {
        // The arrays live across turns: a turn per frame must not allocate.
        fds.removeAll(keepingCapacity: true)
        fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        let listenerIndex = fds.count
        if !draining { fds.append(pollfd(fd: local.listener, events: Int16(POLLIN), revents: 0)) }
        let linkBase = fds.count
        for l in links { fds.append(pollfd(fd: l.pollDescriptor, events: Int16(POLLIN), revents: 0)) }
        let connBase = fds.count
        conns.removeAll(keepingCapacity: true)
        conns.append(contentsOf: local.connections.values)
        for c in conns {
            var ev = Int16(POLLIN)
            if c.wantsWrite { ev |= Int16(POLLOUT) }
            fds.append(pollfd(fd: c.fd, events: ev, revents: 0))
        }

        var wait: Int64 = 1_000_000
        if let d = nextDeadline() { wait = max(0, d.microseconds - now.microseconds) }
        if draining { wait = min(wait, max(0, drainDeadline.microseconds - now.microseconds)) }
        // Protocol timers are in milliseconds; round up so a deadline is
        // never polled for early and spun on.
        let r = poll(&fds, nfds_t(fds.count), Int32((wait + 999) / 1000))
        let t = MonotonicClock.now
        if r > 0 {
            if fds[0].revents != 0 {
                var b = (UInt64(0), UInt64(0))
                while withUnsafeMutableBytes(of: &b, { read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
                stopRequested = true
            }
            if !draining, fds[listenerIndex].revents != 0 {
                metrics.connectionsAccepted(local.acceptAll())
            }
            for (i, l) in links.enumerated() where fds[linkBase + i].revents != 0 {
                let interface = InterfaceID(rawValue: i)
                l.receiveAll { frame in
                    metrics.frameReceived()
                    box.receive(frame: frame, on: interface, now: t)
                }
                pump(now: t)
            }
            for (i, c) in conns.enumerated() {
                let ev = fds[connBase + i].revents
                guard ev != 0 else { continue }
                if ev & Int16(POLLOUT) != 0 && !local.flush(c) {
                    drop(c)
                    continue
                }
                if ev & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    switch local.read(c) {
                    case .messages(let ms):
                        for m in ms { handleLocal(m, from: c, now: t) }
                        pump(now: t)
                    case .closed(let why):
                        if let why { logger.warning("program on connection \(c.id) broke the protocol: \(why)") }
                        drop(c)
                    }
                }
            }
        }
        tickAll(now: MonotonicClock.now)
    }

    private func nextDeadline() -> Instant? {
        var d = earliest(box.nextDeadline, earliest(rpc.nextDeadline, serverRPC.nextDeadline))
        for inj in injectors { d = earliest(d, inj.nextDeadline) }
        for t in transactions.values { d = earliest(d, t.deadline) }
        return d
    }

    private func tickAll(now: Instant) {
        for i in injectors.indices where injectors[i].nextDeadline.map({ $0 <= now }) ?? false {
            for f in injectors[i].tick(now: now) { transmitRaw(f, on: i) }
        }
        if let d = box.nextDeadline, d <= now { box.tick(now: now) }
        if let d = rpc.nextDeadline, d <= now { rpc.tick(now: now) }
        if let d = serverRPC.nextDeadline, d <= now { serverRPC.tick(now: now) }
        expireTransactions(now: now)
        pump(now: now)
    }

    /// Drains the box and the RPC node until neither has anything to say.
    func pump(now: Instant) {
        while true {
            let flipEvents = box.takeEvents()
            for e in flipEvents {
                switch e {
                case .transmit(let interface, let frame):
                    transmit(frame, on: interface.rawValue, now: now)
                case .deliver, .undeliverable:
                    rpc.handle(e, now: now)
                    serverRPC.handle(e, now: now)
                }
            }
            let rpcEvents = rpc.takeEvents() + serverRPC.takeEvents()
            for e in rpcEvents { handleRPC(e, now: now) }
            if flipEvents.isEmpty && rpcEvents.isEmpty { break }
        }
        for l in links { l.flush() }
    }

    private func transmit(_ frame: [UInt8], on index: Int, now: Instant) {
        guard index >= 0, index < links.count else { return }
        if injectors[index].settings.isActive {
            for f in injectors[index].process(frame, now: now) { transmitRaw(f, on: index) }
        } else {
            transmitRaw(frame, on: index)
        }
    }

    private func transmitRaw(_ frame: [UInt8], on index: Int) {
        metrics.frameSent()
        links[index].send(frame)
    }

    // MARK: statistics

    /// The text `std_status` shows for this host's sys server.
    public func statusText(now: Instant) -> String {
        let f = box.statistics
        var r = rpc.statistics
        let sr = serverRPC.statistics
        r.retransmissions += sr.retransmissions
        r.duplicatesRefused += sr.duplicatesRefused
        r.malformed += sr.malformed
        for i in r.sent.indices where i < sr.sent.count { r.sent[i] += sr.sent[i]; r.received[i] += sr.received[i] }
        let up = (now - started).microseconds / 1000
        var s = "host \(configuration.hostName)\n"
        s += "uptime \(up / 1000).\(pad3(up % 1000)) s\n"
        s += "flip address \(rpc.address.hex) (client) \(serverRPC.address.hex) (server)\n"
        s += "frames in \(f.framesIn) out \(f.framesOut) dropped \(f.totalDropped)\n"
        s += "messages sent \(f.messagesSent) delivered \(f.messagesDelivered)\n"
        s += "locates sent \(f.locatesSent) received \(f.locatesReceived) hereis sent \(f.hereIsSent) received \(f.hereIsReceived)\n"
        s += "forwarded unidata \(f.unidataForwarded) multidata \(f.multidataForwarded)\n"
        s += "transactions started \(r.transactionsStarted) succeeded \(r.transactionsSucceeded) failed \(r.transactionsFailed)\n"
        s += "retransmissions \(r.retransmissions) duplicates refused \(r.duplicatesRefused)\n"
        s += "rpc locates sent \(r.sent[1]) received \(r.received[1]) requests served \(sr.received[3])\n"
        s += "programs connected \(local.connections.count)\n"
        for (i, l) in links.enumerated() {
            let c = injectors[i].counters
            s += "link \(i) \(l.name) errors \(l.errors)"
            if injectors[i].settings.isActive {
                s += " faults dropped \(c.dropped) duplicated \(c.duplicated) reordered \(c.reordered) corrupted \(c.corrupted) delayed \(c.delayed)"
            }
            s += "\n"
        }
        return s
    }

    private func pad3(_ n: Int64) -> String {
        n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)"
    }

    // MARK: capabilities on disk

    func capabilityPath(_ kind: HostedKind) -> String {
        "\(configuration.stateDirectory)/\(kind.rawValue).cap"
    }

    private func writeCapabilities() throws(DaemonError) {
        mkdir(configuration.stateDirectory, 0o755)
        for o in hostServers.objects {
            let path = capabilityPath(o.kind)
            let tmp = path + ".tmp"
            guard let f = fopen(tmp, "w") else {
                throw DaemonError(description: "cannot write \(tmp): \(String(cString: strerror(errno)))")
            }
            fputs(o.capability.text + "\n", f)
            fclose(f)
            chmod(tmp, 0o640)
            rename(tmp, path)
        }
    }
}

struct ConnectionCall: Hashable {
    var connection: Int
    var call: UInt32
}
