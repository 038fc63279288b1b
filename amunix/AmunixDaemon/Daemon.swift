// The daemon's event loop: one thread that drives the shared node body
// against real links and real programs.
//
// The protocol code does no I/O, so this loop is where the world meets it:
// poll() waits for a frame on any link, a program on the local socket, or
// the earliest protocol deadline; whatever woke it is fed in, and then the
// loop drains the node's outputs until it is quiet (frames out to links,
// completions and requests out to programs and to the host's own servers).
// Being a single thread, it needs no locks: the only thing other threads
// may do is ask it to stop, through a pipe.

import AmoebaCore
import CBatchIO
import Amunix
import FLIP
import Group
import Logging
import Node
import RPC
import SegmentSeal
#if canImport(Glibc)
import Glibc
#endif

public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
}

public final class Daemon: @unchecked Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    /// The box, both RPC machines and the record of which program (or
    /// hosted server) owns each transaction and each server slot.
    let node: Node<DaemonOwner>
    var links: [any Link] = []
    var injectors: [FaultInjector] = []
    let local: LocalAPIServer
    public let hostServers: HostServers
    let metrics = DaemonMetrics()
    var random: DaemonRandom
    let started: Instant

    /// Requests handed to a program and not yet answered, by (connection,
    /// call): a program's putrep names its getreq call, the node its slot.
    var serving: [ConnectionCall: ServerSlotID] = [:]
    /// Host-server slots that could not be opened yet (see `listen`).
    var listensOwed: [HostedKind] = []
    /// Group members hosted for programs (Daemon+Groups.swift).
    let groups = HostedGroups()
    /// Timers and sizes for the members programs create or join:
    /// Amoeba's defaults unless the configuration says otherwise.
    var groupConfiguration: GroupConfiguration { configuration.group }

    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var stopRequested = false
    private var fds: [pollfd] = []
    private var conns: [LocalConnection] = []
    var draining = false
    private var drainDeadline = Instant.zero
    /// Per link: sealed datagrams refused for their time when last told.
    private var outOfTimeTold: [Int: (count: Int, at: Instant)] = [:]

    public init(configuration: DaemonConfiguration, logger: Logger) throws(DaemonError) {
        self.configuration = configuration
        self.logger = logger
        random = DaemonRandom(seed: configuration.seed)
        started = MonotonicClock.now

        // Fragments as long as the links' frames allow (LinkMTU.swift).
        let flip = LinkSpec.flip(configuration.flip, on: configuration.links)
        let node = Node<DaemonOwner>(configuration: NodeConfiguration(flip: flip, rpc: configuration.rpc),
                                     using: &random)
        self.node = node
        // Kept across restarts (LinkAddresses), so a peer's routes still reach us.
        let baseMAC = LinkAddresses.base(in: configuration.stateDirectory, using: &random,
                                         warn: { logger.warning("\($0)") })
        for (index, spec) in configuration.links.enumerated() {
            let link: any Link
            do {
                link = try spec.open(mac: LinkAddresses.address(baseMAC, link: index))
            } catch {
                for l in links { l.close() }
                throw DaemonError(description: error.description)
            }
            links.append(link)
            injectors.append(FaultInjector(spec.faults))
            node.addInterface(mac: link.mac, weight: spec.weight, trusted: spec.trusted)
        }
        if configuration.hostsServers {
            // Stable across restarts, like a kernel's hostsecret.
            let ids = HostSecret.identities(in: configuration.stateDirectory, using: &random,
                                            warn: { logger.warning("\($0)") })
            hostServers = HostServers(hostName: configuration.hostName, identities: ids)
        } else {
            hostServers = HostServers(hostName: configuration.hostName, using: &random)
        }

        do {
            local = try LocalAPIServer(path: configuration.socketPath)
        } catch {
            for l in links { l.close() }
            throw DaemonError(description: error.description)
        }
        var fds: [Int32] = [0, 0]
        amx_pipe_cloexec(&fds)
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
        logger.info("FLIP address \(node.address.hex), local API at \(configuration.socketPath)")
        if let seed = configuration.seed { logger.debug("seed \(seed): nothing this daemon makes is secret") }
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
                let s = node.statistics
                logger.info("stopping: draining \(s.transactionsInFlight) transactions and \(s.repliesInFlight) replies")
            }
            if draining {
                let s = node.statistics
                if (s.transactionsInFlight == 0 && s.repliesInFlight == 0) || drainDeadline <= now { break }
            }
            pollOnce(now: now)
        }
        shutdown()
    }

    private func shutdown() {
        for conn in local.connections.values { local.flush(conn) }
        local.closeAll()
        node.shutdown()
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
        let listening = !draining && local.accepting(at: now)
        if listening { fds.append(pollfd(fd: local.listener, events: Int16(POLLIN), revents: 0)) }
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
            if listening, fds[listenerIndex].revents != 0 {
                let refusedBefore = local.refused
                metrics.connectionsAccepted(local.acceptAll(now: t))
                if local.refused > refusedBefore {
                    logger.warning("\(local.refused - refusedBefore) programs refused: \(LocalAPIServer.connectionLimit) already connected")
                }
                if !local.accepting(at: t) { logger.warning("out of file descriptors: not taking programs for a moment") }
            }
            for (i, l) in links.enumerated() where fds[linkBase + i].revents != 0 {
                let interface = InterfaceID(rawValue: i)
                l.receiveAll { frame in
                    metrics.frameReceived()
                    node.receive(frame: frame, on: interface, now: t)
                }
                if let seal = l.sealStatistics { warnOfClockSkew(link: i, seal, now: t) }
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
                    switch local.read(c, now: t) {
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
        let after = MonotonicClock.now
        if let due = local.nextStallDeadline, due <= after { dropStalled(now: after) }
        tickAll(now: after)
    }

    /// Disconnects the programs stalled half-way through a frame past the
    /// deadline (rare: only reached when the earliest deadline has passed).
    private func dropStalled(now: Instant) {
        let stalled = local.connections.values.filter { c in
            c.partialSince.map { now - $0 >= LocalAPIServer.partialFrameDeadline } ?? false
        }
        for c in stalled {
            logger.warning("program on connection \(c.id) stalled half-way through a frame for \(LocalAPIServer.partialFrameDeadline.microseconds / 1_000_000) s: disconnected")
            drop(c)
        }
    }

    private func nextDeadline() -> Instant? {
        var d = node.nextDeadline
        d = earliest(d, local.nextStallDeadline)
        d = earliest(d, local.acceptPausedUntil)
        for inj in injectors { d = earliest(d, inj.nextDeadline) }
        if !listensOwed.isEmpty { d = earliest(d, MonotonicClock.now + .milliseconds(100)) }
        return d
    }

    private func tickAll(now: Instant) {
        for i in injectors.indices where injectors[i].nextDeadline.map({ $0 <= now }) ?? false {
            for f in injectors[i].tick(now: now) { transmitRaw(f, on: i) }
        }
        node.tick(now: now)
        pump(now: now)
        if !listensOwed.isEmpty {
            retryOwedListens()
            pump(now: now)
        }
    }

    /// Drains the node until it has nothing more to say: handing a request
    /// to a hosted server answers it, and the answer is drained in turn.
    func pump(now: Instant) {
        // Each output is moved out of the node and consumed: its frame or
        // message goes on with no copy.
        while node.drainOutputs({ (o: consuming NodeOutput<DaemonOwner>) in
            switch consume o {
            case .transmit(let interface, let frame):
                transmit(consume frame, on: interface.rawValue, now: now)
            case .transactionCompleted(let owner, let result):
                transactionCompleted(owner, result)
            case .requestArrived(let owner, let slot, let request):
                requestArrived(owner, slot, request, now: now)
            case .upperLayerReady:
                serviceGroups(now: now)
            }
        }) > 0 {}
        for l in links { l.flush() }
    }

    private func transmit(_ frame: consuming [UInt8], on index: Int, now: Instant) {
        guard index >= 0, index < links.count else { return }
        if injectors[index].settings.isActive {
            for f in injectors[index].process(frame, now: now) { transmitRaw(f, on: index) }
        } else {
            transmitRaw(frame, on: index)
            // Every link copies a frame as it queues it (into its batch or
            // its ring): the storage may carry the node's next fragment.
            node.recycle(frame: consume frame)
        }
    }

    private func transmitRaw(_ frame: [UInt8], on index: Int) {
        metrics.frameSent()
        links[index].send(frame)
    }

    /// A keyed link drops datagrams from a host whose clock is more than
    /// 30 s off without a word on the wire; say so in the log, at most
    /// once a minute, so that the silence has an explanation.
    private func warnOfClockSkew(link i: Int, _ seal: SealStatistics, now: Instant) {
        let told = outOfTimeTold[i] ?? (0, Instant.zero)
        guard seal.outOfTime > told.count, told.count == 0 || now - told.at >= .seconds(60) else { return }
        logger.warning("\(links[i].name): \(seal.outOfTime - told.count) sealed datagrams refused as more than 30 s off this host's clock: is a peer's clock wrong?")
        outOfTimeTold[i] = (seal.outOfTime, now)
    }

    // MARK: statistics

    /// The text `std_status` shows for this host's sys server.
    public func statusText(now: Instant) -> String {
        let n = node.statistics
        let f = n.flip
        let r = n.rpc
        let sr = n.server
        let up = (now - started).microseconds / 1000
        var s = "host \(configuration.hostName)\n"
        s += "uptime \(up / 1000).\(pad3(up % 1000)) s\n"
        s += "flip address \(node.address.hex) (client) \(node.serverAddress.hex) (server)\n"
        s += "kernel id \(node.clientKid.hex)\n"
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
            if let seal = l.sealStatistics {
                s += " sealed \(seal.sealed) opened \(seal.opened) refused tag \(seal.badTag + seal.malformed)"
                s += " replayed \(seal.replayed) out-of-time \(seal.outOfTime)"
            }
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

    /// The owner capabilities of the host's servers, each 0600 in the
    /// 0700 state folder (the process's umask already says so; the modes
    /// here say it again for a daemon embedded elsewhere).
    private func writeCapabilities() throws(DaemonError) {
        do {
            try PrivateFiles.makeFolder(configuration.stateDirectory)
            for o in hostServers.objects {
                try PrivateFiles.write(o.capability.text + "\n", to: capabilityPath(o.kind))
            }
        } catch {
            throw DaemonError(description: "cannot write the host capabilities: \(error)")
        }
    }
}

struct ConnectionCall: Hashable {
    var connection: Int
    var call: UInt32
}
