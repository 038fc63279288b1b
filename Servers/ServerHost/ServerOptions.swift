// What every server executable on a Linux host shares: its command-line
// options (daemon socket, getreq threads, log level), the connection to
// amunixd, and publishing its super capability in its store folder.

import AmoebaCore
import Amunix
import ArgumentParser
import Logging

public struct ServerOptions: ParsableArguments {
    @Option(help: "amunixd's socket (default: $AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    public var socket: String?

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

    /// The connection to the local amunixd; exit status 3 when there is none.
    public func connect(logger: Logger) throws -> AmunixConnection {
        do {
            return try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment)
        } catch {
            logger.critical("\(error.description)")
            throw ExitCode(3)
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
