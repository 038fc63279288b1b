// amunixd: makes this Linux host a node of the system.
//
// The command line is the configuration (links and options), so a host is
// started and torn down by scripts without any file to keep in step. The
// event loop runs on its own thread; swift-service-lifecycle turns SIGTERM
// and SIGINT into a graceful stop that lets transactions in flight finish.

import AmoebaCore
import Amunix
import AmunixDaemon
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

@main
struct AmunixD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amunixd",
        abstract: "Run this Linux host as a FLIP/RPC node (Amoeba 5.3 compatible).",
        discussion: """
        Links (give --link once per link; two or more make this host a FLIP gateway):
          udp:LOCALPORT:REMOTEHOST:REMOTEPORT   Ethernet frames in UDP, point to point
                                                (like QEMU -netdev dgram)
          mcast:GROUP:PORT                      Ethernet frames in UDP multicast
                                                (like QEMU -netdev socket,mcast=GROUP:PORT)
          pcap:IFACE                            raw Ethernet via libpcap (needs root)
        Options after commas: weight=N (hop weight, default 3), trusted=yes|no, and a
        seeded fault injector on frames sent: drop=P,dup=P,reorder=P,corrupt=P,delay=P,
        maxdelay=MS,seed=N. mcast: takes local=ADDR and ttl=N; udp: and mcast: take
        key=FILE (a private segment: every datagram enciphered, authenticated and
        numbered with ChaCha20-Poly1305 under the key in FILE, made 0600 if missing;
        what does not open, or arrives twice, is dropped). Hosts on a keyed segment
        need clocks within 30 s of each other.
        pcap: takes mtu=N (1500 to 9000, default 1500): jumbo frames, N bytes of
        Ethernet payload per frame (FLIP fragments of N - 42 bytes). The interface's
        MTU must be at least N, and every station on the segment (each amunixd, each
        program's own endpoint) set alike; a host with several links fragments for
        the smallest. Amoeba 5.3 and kernel nodes take 1500 only.
        Trust: frames from a trusted network are believed about their source, and
        security-sensitive traffic (FLIP's SECURITY flag) is refused over an untrusted
        one; what crosses an untrusted network is marked UNSAFE. pcap: links are
        trusted by default, as an Amoeba Ethernet is, and so are keyed udp: and mcast:
        links (only key holders can write to them); unkeyed udp: and mcast: links are
        not (any program on the machine can send to them). trusted=yes|no overrides.
        Example: amunixd --link udp:7001:127.0.0.1:7002 --socket /tmp/a/amunixd.sock
        """)

    @Option(name: .customLong("link"), help: "A link (see below). Repeat for several.")
    var links: [String] = []

    @Option(help: "The Unix socket programs connect to (mode 0660).")
    var socket: String = "/run/amunix/amunixd.sock"

    @Option(name: .customLong("state-dir"), help: "Where host.cap, sys.cap, tod.cap and random.cap are written (default: the socket's folder).")
    var stateDirectory: String?

    @Option(help: "This host's name in std_info and std_status (default: the hostname).")
    var name: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .customLong("no-host-servers"), help: "Do not serve sys, tod, random and the host directory.")
    var noHostServers = false

    @Option(name: .customLong("drain-timeout"), help: "Seconds SIGTERM waits for transactions in flight.")
    var drainTimeout: Double = 10

    @Option(help: "Seed for this host's addresses, ports and fault injectors (default: random).")
    var seed: UInt64?

    @Option(name: .customLong("serve-timeout-ms"), help: "RPC: how long a client waits before asking whether its request arrived.")
    var serveTimeout: Int64?

    @Option(name: .customLong("locate-timeout-ms"), help: "RPC: how long a client looks for a port before RPC_NOTFOUND.")
    var locateTimeout: Int64?

    @Option(name: .customLong("enquire-interval-ms"), help: "RPC: how often a waiting client checks that its server lives.")
    var enquireInterval: Int64?

    @Option(name: .customLong("max-retrials"), help: "RPC: unanswered timeouts before a transaction fails.")
    var maxRetrials: Int?

    @Option(name: .customLong("group-reply-ms"), help: "Groups: how long a member waits for its message to be ordered before sending it again (grp_set's reply; Amoeba's default 1000).")
    var groupReply: Int64?

    @Option(name: .customLong("group-alive-ms"), help: "Groups: between liveness checks of members (grp_set's alive; default 10000).")
    var groupAlive: Int64?

    @Option(name: .customLong("crash-timeout-ms"), help: "RPC: silence after which the other end is taken for dead.")
    var crashTimeout: Int64?

    @Option(name: .customLong("metrics-file"), help: "Write the daemon's counters in Prometheus text format to this file, every second and at exit (for node_exporter's textfile collector).")
    var metricsFile: String?

    @Option(name: .customLong("flip-credit"), help: "FLIP: frames sent to a neighbour before waiting for credit (Amoeba: 8).")
    var flipCredit: UInt8?

    @Option(name: .customLong("flip-credit-grant"), help: "FLIP: extra frames each neighbour may send us beyond its window, granted once with our first credit (0: Amoeba's window of 8; default \(DaemonConfiguration.creditGrant)).")
    var flipCreditGrant: UInt8?

    func validate() throws {
        guard !links.isEmpty else { throw ValidationError("give at least one --link") }
        for l in links {
            do { _ = try LinkSpec(parsing: l) } catch { throw ValidationError(error.description) }
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard drainTimeout >= 0, drainTimeout <= 3600 else { throw ValidationError("--drain-timeout must be 0 to 3600 seconds") }
        for (n, v) in [("serve-timeout-ms", serveTimeout), ("locate-timeout-ms", locateTimeout),
                       ("enquire-interval-ms", enquireInterval), ("crash-timeout-ms", crashTimeout)] {
            if let v, v < 1 || v > 600_000 { throw ValidationError("--\(n) must be 1 to 600000") }
        }
        if let r = maxRetrials, r < 1 || r > 1000 { throw ValidationError("--max-retrials must be 1 to 1000") }
        if let c = flipCredit, c < 1 || c > 128 { throw ValidationError("--flip-credit must be 1 to 128") }
    }

    func run() async throws {
        // Capabilities and the host secret are written to the state folder:
        // private from the first byte.
        PrivateFiles.restrictCreation()
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "amunixd")
        let specs = try links.map { try LinkSpec(parsing: $0) }
        let host = name ?? ProcessInfo.processInfo.hostName
        let stateDir = stateDirectory ?? (socket as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: (socket as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        var config = DaemonConfiguration(links: specs, socketPath: socket, stateDirectory: stateDir, hostName: host)
        config.hostsServers = !noHostServers
        config.drainTimeout = .microseconds(Int64(drainTimeout * 1_000_000))
        config.seed = seed
        if let v = serveTimeout { config.rpc.serveTimeout = .milliseconds(v) }
        if let v = locateTimeout { config.rpc.locateTimeout = .milliseconds(v) }
        if let v = enquireInterval { config.rpc.enquireInterval = .milliseconds(v) }
        if let v = maxRetrials { config.rpc.maxRetrials = v }
        if let v = crashTimeout { config.rpc.crashTimeout = .milliseconds(v) }
        if let v = groupReply { config.group.replyTimeout = .milliseconds(v) }
        if let v = groupAlive { config.group.aliveInterval = .milliseconds(v) }
        if let g = flipCreditGrant { config.flip.creditGrant = g }
        if let c = flipCredit {
            config.flip.initialCredit = c
            config.flip.creditThreshold = max(1, c / 2)
        }

        // Before the daemon exists: its counters are made at start.
        let registry = metricsFile.map { _ in MetricsFileService.bootstrap() }

        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: config, logger: logger)
        } catch {
            logger.critical("\(error.description)")
            throw ExitCode(1)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: DaemonService(daemon: daemon))]
        if let registry, let metricsFile {
            services.append(.init(service: MetricsFileService(registry: registry, path: metricsFile, interval: .seconds(1))))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// The event loop as a service: its thread runs until a graceful shutdown
/// asks it to drain and stop.
struct DaemonService: Service {
    let daemon: Daemon

    func run() async throws {
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let t = Thread {
                    daemon.run()
                    done.resume()
                }
                t.name = "amunixd-loop"
                t.start()
            }
        } onGracefulShutdown: {
            daemon.requestStop()
        }
    }
}
