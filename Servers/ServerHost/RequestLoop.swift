// Hosting a pure request handler on a Linux host: several getreqs wait on
// the server's port, through amunixd or the server's own FLIP endpoint
// (NetworkAccess), and each request is handled under one lock (the
// handlers are not thread-safe, and one order of changes is what makes
// their replies and their stores deterministic). Several getreqs still
// matter: while a request is handled, the others are already waiting, so
// no request finds the port with nobody listening.
//
// Through amunixd each getreq is a thread's. On the server's own endpoint
// one thread keeps them all listening (ProcessEndpoint.Listener): with
// the handler under one lock, more threads handle nothing sooner, and each
// request cost a thread switch as the endpoint's driver handed it to the
// thread whose getreq it took.
//
// SIGTERM and SIGINT take the lock before exiting, so a stop never falls in
// the middle of a change; kill -9 may, and the stores are built for that.

import AmoebaCore
import Amunix
import AmunixEndpoint
import Dispatch
import Foundation
import Logging

public final class RequestLoop: @unchecked Sendable {
    public typealias Handler = (Header, [UInt8]) -> (Header, [UInt8])

    let connection: NetworkAccess
    let getPort: AmoebaCore.Port
    let handler: Handler
    let logger: Logger
    let lock = NSLock()
    var signalSources: [DispatchSourceSignal] = []

    public init(connection: NetworkAccess, getPort: AmoebaCore.Port, logger: Logger, handler: @escaping Handler) {
        self.connection = connection
        self.getPort = getPort
        self.logger = logger
        self.handler = handler
    }

    /// Starts `threads` server threads and blocks until SIGTERM or SIGINT
    /// (exit 0) or until the daemon goes away (exit 1).
    public func run(threads: Int) -> Never {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()  // never exit halfway through a request
                logger.info("stopping on signal \(sig)")
                exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
        let finished = DispatchSemaphore(value: 0)
        let stopped: Logger.Message
        if case .endpoint(let endpoint) = connection {
            stopped = "the server's endpoint stopped serving; exiting"
            let t = Thread { [self] in
                serve(listening: endpoint, depth: max(1, threads))
                finished.signal()
            }
            t.name = "server"
            t.start()
        } else {
            stopped = "lost amunixd; exiting"
            for i in 0..<max(1, threads) {
                let t = Thread { [self] in
                    serve()
                    finished.signal()
                }
                t.name = "server-\(i)"
                t.start()
            }
        }
        finished.wait()
        logger.error(stopped)
        exit(1)
    }

    /// One request through the handler, under the lock.
    private func handle(_ request: Header, _ data: [UInt8]) -> (Header, [UInt8]) {
        lock.lock()
        let reply = handler(request, data)
        lock.unlock()
        logger.trace("command \(request.command) -> \(reply.0.status.name)")
        return reply
    }

    /// The one thread of a server on its own endpoint, `depth` getreqs
    /// listening.
    private func serve(listening endpoint: ProcessEndpoint, depth: Int) {
        let listener: ProcessEndpoint.Listener
        do throws(ErrorCode) {
            listener = try endpoint.listen(getPort, depth: depth)
        } catch {
            logger.error("listening on the endpoint: \(error.name)")
            return
        }
        while true {
            let request: EndpointRequest
            do throws(ErrorCode) {
                request = try listener.next()
            } catch {
                if error == .rpcAborted { return }
                logger.warning("getreq: \(error.name)")
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            let (header, data) = handle(request.header, request.data)
            endpoint.putrep(request, header, data)
        }
    }

    private func serve() {
        while true {
            let request: AccessRequest
            do {
                request = try connection.getreq(getPort)
            } catch {
                if case .connectionLost = error { return }
                logger.warning("getreq: \(error)")
                if case .cannotConnect = error { return }
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            let (header, data) = handle(request.header, request.data)
            do {
                try connection.putrep(request, header, data)
            } catch {
                logger.warning("putrep: \(error)")
                if case .connectionLost = error { return }
            }
        }
    }
}

/// Sets up swift-log on stderr at `level` (a swift-log level name).
public func bootstrapLogging(level: String) -> Logger.Level {
    let l = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = l
        return h
    }
    return l
}

/// Writes `text` to `path` atomically, readable by its owner only (what
/// servers write are capabilities).
public func writeAtomically(_ text: String, to path: String) throws {
    try PrivateFiles.write(text, to: path)
}
