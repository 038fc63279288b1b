// What every server executable on a Linux host shares: its command-line
// options (daemon socket or its own link, getreq threads, log level), its
// way to the network (amunixd, or a FLIP endpoint of its own), and
// publishing its super capability in its store folder.

import AmoebaCore
import Amunix
import AmunixEndpoint
import ArgumentParser
import Logging

public struct ServerOptions: ParsableArguments {
    @Option(help: "amunixd's socket (default: $AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    public var socket: String?

    @Option(help: "Serve on a FLIP endpoint of the server's own on this link (pcap:IFACE needs root or CAP_NET_RAW; udp:..., mcast:...) instead of through amunixd: no daemon in the requests' path.")
    public var link: String?

    @Option(help: "Server threads waiting in getreq.")
    public var threads: Int = 4

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel: String = "info"

    public init() {}

    public func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1 to 64") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("bad --log-level \(logLevel)") }
    }

    /// Sets up logging and returns the server's logger.
    public func logger(label: String) -> Logger {
        _ = bootstrapLogging(level: logLevel)
        return Logger(label: label)
    }

    /// The way to the network: the server's own endpoint with --link,
    /// else the local amunixd. Exit status 3 when there is no daemon, 64
    /// when the link cannot be opened.
    public func connect(logger: Logger) throws -> NetworkAccess {
        do {
            return try NetworkAccess.open(link: link, socket: socket)
        } catch {
            logger.critical("\(error.description)")
            if case .noDaemon = error { throw ExitCode(3) }
            throw ExitCode(64)
        }
    }
}

/// Writes the server's super capability to `STORE/super.cap`, where
/// amoeba-init and the tools look for it. A failure is logged, not fatal.
public func publishSuperCapability(_ cap: Capability, in store: String, logger: Logger) {
    do {
        try writeAtomically(cap.text + "\n", to: "\(store)/super.cap")
    } catch {
        logger.warning("cannot write \(store)/super.cap: \(error)")
    }
}
