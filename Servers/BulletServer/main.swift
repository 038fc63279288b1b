// bullet-server: the Bullet file server on a Linux host.
//
// Opens (or creates) its store in the folder given, writes its super
// capability (the one `put` creates files with) there as super.cap, and
// serves the Bullet protocol through the local amunixd with several
// getreq threads. A file's commit is on disk before its reply is sent, so
// kill -9 loses no file whose creation was acknowledged; files still being
// written are forgotten, as Amoeba's are.

import AmoebaCore
import Amunix
import ArgumentParser
import Bullet
import DiskStorage
import Foundation
import Logging
import ServerHost

@main
struct BulletServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bullet-server",
        abstract: "Serve immutable Bullet files (Amoeba 5.3 protocol) through amunixd.")

    @Argument(help: "The folder holding the files (created if missing).")
    var store: String

    @Option(help: "amunixd's socket (default: $AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    var socket: String?

    @Option(help: "Server threads waiting in getreq.")
    var threads: Int = 4

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1 to 64") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("bad --log-level \(logLevel)") }
    }

    func run() throws {
        _ = bootstrapLogging(level: logLevel)
        let logger = Logger(label: "bullet-server")
        let server: BulletServer<DiskStore>
        do {
            server = try BulletServer(store: try DiskStore(path: store), generator: SystemRandomNumberGenerator())
        } catch {
            logger.critical("cannot open store \(store): \(error)")
            throw ExitCode(1)
        }
        let connection: AmunixConnection
        do {
            connection = try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment)
        } catch {
            logger.critical("\(error.description)")
            throw ExitCode(3)
        }
        do {
            try writeAtomically(server.superCapability.text + "\n", to: "\(store)/super.cap")
        } catch {
            logger.warning("cannot write \(store)/super.cap: \(error)")
        }
        logger.info("serving \(server.fileCount) files on \(server.putPort) with \(threads) threads")
        RequestLoop(connection: connection, getPort: server.getPort, logger: logger) { h, d in
            server.handle(header: h, data: d)
        }.run(threads: threads)
    }
}
