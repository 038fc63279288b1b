// soap-server: the SOAP directory server on a Linux host.
//
// Opens (or creates) its store in the folder given, writes its super
// capability there as super.cap, and serves the directory protocol on the
// store's port through the local amunixd with several getreq threads. A
// restarted server answers on the same port and honours the capabilities
// it gave out before, because its identity lives in the store. Every
// change is durable before its reply is sent, so kill -9 loses nothing
// that was acknowledged. With --replicated it is one of several replicas
// serving one port (ReplicatedService.swift).

import AmoebaCore
import Amunix
import AmunixEndpoint
import ArgumentParser
import Directory
import DiskStorage
import Foundation
import Logging
import ServerHost

@main
struct SoapServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soap-server",
        abstract: "Serve SOAP directories (Amoeba 5.3 protocol) through amunixd.",
        discussion: "Set up a fresh name space with amoeba-init before the first start.")

    @Argument(help: "The folder holding the directories (created if missing).")
    var store: String

    @OptionGroup var options: ServerOptions

    @Flag(help: "Serve as one replica of a replicated service: writes go through the replicas' group in one order; start every replica on a copy of the same store (amoeba-init --soap-replicas).")
    var replicated = false

    @Option(help: "Replicas besides the sequencer that must hold a write before it is acknowledged (with --replicated, when this replica creates the group).")
    var resilience: UInt16 = 1

    @Flag(name: .customLong("dump"), help: "Print every directory's rows from the store, one line each, and exit (for comparing replicas' stores).")
    var dump = false

    func validate() throws {
        guard resilience < 32 else { throw ValidationError("--resilience must be below 32") }
    }

    func run() throws {
        // The store holds the server's secret get-port and its objects'
        // randoms: private from the first byte.
        PrivateFiles.restrictCreation()
        let logger = options.logger(label: "soap-server")
        let server: DirectoryServer<DiskStore>
        do {
            server = try DirectoryServer(store: try DiskStore(path: store), generator: SystemRandomNumberGenerator())
        } catch {
            logger.critical("cannot open store \(store): \(error)")
            throw ExitCode(1)
        }
        server.clock = { Int32(truncatingIfNeeded: time(nil)) }
        if dump {
            for line in server.dumpLines() { print(line) }
            return
        }
        let connection = try options.connect(logger: logger)
        // Capabilities of other servers held in rows are restricted by
        // asking their server, as SOAP does, when they are not owner
        // capabilities that can be restricted here.
        server.restrictForeign = { cap, mask in
            if let local = try? Restriction.restrict(cap, to: mask) { return local }
            var h = Header(capability: cap, command: StandardCommand.restrict)
            h.offset = Int32(mask.rawValue)
            guard let r = try? connection.trans(h, [], timeout: .seconds(5)), r.header.status == .ok else { return nil }
            return Capability(port: cap.port, private: r.header.private)
        }
        publishSuperCapability(server.superCapability, in: store, logger: logger)
        if replicated {
            // A replica's group member is hosted by amunixd.
            guard case .daemon(let daemon) = connection else {
                logger.critical("--replicated needs amunixd (it hosts the group member): leave out --link")
                throw ExitCode(64)
            }
            let service = ReplicatedService(server: server, connection: daemon, logger: logger, resilience: resilience)
            service.run(threads: options.threads)
        }
        logger.info("serving \(server.directories.count) directories on \(server.putPort) with \(options.threads) threads")
        RequestLoop(connection: connection, getPort: server.getPort, logger: logger) { h, d in
            server.handle(header: h, data: d)
        }.run(threads: options.threads)
    }
}
