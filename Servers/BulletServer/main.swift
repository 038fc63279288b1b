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
        abstract: "Serve immutable Bullet files (Amoeba 5.3 protocol) through amunixd or, with --link, a FLIP endpoint of its own.")

    @Argument(help: "The folder holding the files (created if missing).")
    var store: String

    @Option(help: "STD_AGE sweeps (om --age) a file survives without being touched; every file starts with this many when the server starts.")
    var maxLifetime: UInt8 = BulletLimits.lifetime

    @OptionGroup var options: ServerOptions

    func validate() throws {
        guard maxLifetime >= 1 else { throw ValidationError("--max-lifetime is at least 1") }
    }

    func run() throws {
        // The store holds the server's secret get-port and its objects'
        // randoms: private from the first byte.
        PrivateFiles.restrictCreation()
        let logger = options.logger(label: "bullet-server")
        let server: BulletServer<DiskStore>
        do {
            server = try BulletServer(store: try DiskStore(path: store), generator: SystemRandomNumberGenerator(),
                                          clock: { Int64(ProcessInfo.processInfo.systemUptime) })
        } catch {
            logger.critical("cannot open store \(store): \(error)")
            throw ExitCode(1)
        }
        server.maximumLifetime = maxLifetime
        // Uploads go to disk as they arrive; the commit only syncs them.
        server.streamsUploads = true
        let connection = try options.connect(logger: logger)
        publishSuperCapability(server.superCapability, in: store, logger: logger)
        logger.info("serving \(server.fileCount) files on \(server.putPort) with \(options.threads) threads")
        RequestLoop(connection: connection, getPort: server.getPort, logger: logger) { h, d in
            server.handle(header: h, data: d)
        }.run(threads: options.threads)
    }
}
