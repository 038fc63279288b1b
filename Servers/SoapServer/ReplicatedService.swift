// soap-server --replicated: one of several replicas serving one put-port.
//
// All replicas start from copies of one store, so they share the service's
// get-port and check fields. They form a group (on a port derived from the
// get-port) through their amunixd. A write a replica takes from a client is
// sent into the group with the time and random number chosen here, and is
// answered only once this replica has applied it in the group's order: by
// then the sequencer has ordered it and r other replicas hold it. Reads are
// answered by whichever replica the client reached, from its own state.
//
// A replica that finds the service already answering joins the group and
// takes the state the others recorded at its JOIN (by RPC to the service's
// port, any replica answering), applies what followed, and only then waits
// in getreq. One that finds no replica answering creates the group with its
// own store: start the first replica alone, the others once it serves.

import AmoebaCore
import Amunix
import Directory
import DirectoryReplica
import DiskStorage
import Foundation
import Logging

final class ReplicatedService: @unchecked Sendable {
    let server: DirectoryServer<DiskStore>
    let replica: DirectoryReplica<DiskStore>
    let connection: AmunixConnection
    let logger: Logger
    let resilience: UInt16
    let groupPort: AmoebaCore.Port
    /// This run's number in its JOIN header, and the origin of its writes' tags.
    let joinNumber: AmoebaCore.Port
    let origin: UInt64

    /// Guards the server, the replica and everything below.
    let lock = NSCondition()
    var nextNumber: UInt64 = 0
    var waiting: Set<WriteTag> = []
    var answers: [WriteTag: (Header, [UInt8])] = [:]
    var ready = false
    var gid = GroupID(rawValue: 0)
    var serving = false

    let finished = DispatchSemaphore(value: 0)
    var signalSources: [DispatchSourceSignal] = []
    var threads = 4

    /// A write's whole wait: for its ordering through any reset, and for its
    /// application here.
    static let writeDeadline: TimeInterval = 30
    static let bcFail: Int16 = -20
    static let bcAbort: Int16 = -21

    init(server: DirectoryServer<DiskStore>, connection: AmunixConnection, logger: Logger, resilience: UInt16) {
        self.server = server
        self.replica = DirectoryReplica(server: server)
        self.connection = connection
        self.logger = logger
        self.resilience = resilience
        groupPort = ReplicaGroup.port(serviceGetPort: server.getPort)
        var g = SystemRandomNumberGenerator()
        joinNumber = AmoebaCore.Port.random(using: &g)
        origin = g.next()
    }

    func run(threads: Int) -> Never {
        self.threads = max(1, threads)
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()  // never exit halfway through applying a write
                logger.info("stopping on signal \(sig)")
                exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
        let existing = serviceAnswers()
        do throws(AmunixError) {
            if existing {
                gid = try connection.grpJoin(Header(port: groupPort, signature: joinNumber))
                logger.info("joined the replicas' group; fetching the state")
            } else {
                gid = try connection.grpCreate(port: groupPort, GroupParameters(resilience: resilience, logMessageSize: 15))
                ready = true
                logger.notice("no replica answering: created the replicas' group (resilience \(resilience)): sequencer here")
            }
        } catch {
            logger.critical("cannot \(existing ? "join" : "create") the replicas' group: \(error)")
            exit(1)
        }
        start("receiver") { self.receive() }
        if ready { startServing() }
        finished.wait()
        logger.error("lost amunixd or the group; exiting")
        exit(1)
    }

    private func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let t = Thread { [self] in
            body()
            finished.signal()
        }
        t.name = name
        t.start()
    }

    private func startServing() {
        logger.info("serving \(server.directories.count) directories on \(server.putPort) as a replica with \(threads) threads")
        for i in 0..<threads { start("server-\(i)") { self.serve() } }
    }

    /// Whether another replica answers on the service's port now.
    private func serviceAnswers() -> Bool {
        let h = Header(capability: server.superCapability, command: StandardCommand.info)
        guard let r = try? connection.trans(h, [], timeout: .seconds(2)) else { return false }
        return r.header.status == .ok
    }

    // MARK: The group's order

    private func receive() {
        while true {
            let m: GroupMessage
            do {
                m = try connection.grpReceive(gid)
            } catch {
                if case .rpc(let c) = error, c.rawValue == ReplicatedService.bcAbort {
                    // A replica failed: rebuild the group with those left.
                    do {
                        let n = try connection.grpReset(gid, minimum: 1)
                        logger.notice("replicas' group reset: \(n) members")
                    } catch {
                        logger.warning("grp_reset: \(error)")
                        if case .connectionLost = error { return }
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                    continue
                }
                logger.error("grp_receive: \(error)")
                return
            }
            switch m.kind {
            case .message:
                guard let w = try? ReplicatedWrite.decode(m.data) else {
                    logger.warning("message \(m.sequence) from member \(m.sender) is no write: ignored")
                    continue
                }
                lock.lock()
                let answer = replica.apply(w)
                if w.tag.origin == origin, let a = answer, waiting.contains(w.tag) {
                    answers[w.tag] = a
                    lock.broadcast()
                }
                lock.unlock()
            case .join:
                if m.header.signature == joinNumber {
                    if !ready {
                        catchUp()
                        startServing()
                    }
                } else {
                    lock.lock()
                    replica.joined(m.header.signature)
                    lock.unlock()
                    logger.info("replica member \(m.sender) joined at \(m.sequence)")
                }
            case .leave:
                logger.info("replica member \(m.sender) left at \(m.sequence)")
            case .reset:
                // Which replica orders now: the test scripts read this line.
                let here = (try? connection.grpInfo(gid)).map { $0.me == $0.sequencer } ?? false
                logger.notice("replicas' group rebuilt at \(m.sequence): sequencer \(here ? "here" : "elsewhere")")
            }
        }
    }

    /// Takes the state recorded at this replica's JOIN from the others.
    private func catchUp() {
        let deadline = Date().addingTimeInterval(60)
        var bytes = [UInt8]()
        var total = -1
        while total < 0 || bytes.count < total {
            guard Date() < deadline else {
                logger.critical("no replica gave the state within 60 s")
                exit(1)
            }
            var h = Header(capability: server.superCapability, command: ReplicaGroup.fetchStateCommand)
            h.offset = Int32(bytes.count)
            guard let r = try? connection.trans(h, joinNumber.bytes, timeout: .seconds(3)),
                  r.header.status == .ok else {
                Thread.sleep(forTimeInterval: 0.1)  // not there yet, or a replica failed
                continue
            }
            let whole = Int(r.header.offset)
            if total >= 0, whole != total || r.data.isEmpty {
                // Cannot happen between replicas in step; start again.
                bytes = []
                total = -1
                continue
            }
            total = whole
            bytes += r.data
        }
        lock.lock()
        let status = replica.install(state: bytes)
        ready = status == .ok
        lock.unlock()
        guard status == .ok else {
            logger.critical("the state fetched does not install: \(status.name)")
            exit(1)
        }
        logger.info("caught up: \(server.directories.count) directories, \(bytes.count) bytes of state")
    }

    // MARK: Requests

    private func serve() {
        while true {
            let request: IncomingRequest
            do {
                request = try connection.getreq(server.getPort)
            } catch {
                logger.warning("getreq: \(error)")
                if case .connectionLost = error { return }
                if case .cannotConnect = error { return }
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            let (header, data): (Header, [UInt8])
            let command = request.header.command
            if command == ReplicaGroup.fetchStateCommand {
                (header, data) = statePiece(request.header, request.data)
            } else if DirectoryServer<DiskStore>.changesState(command) {
                (header, data) = write(request.header, request.data)
            } else {
                lock.lock()
                (header, data) = server.handle(header: request.header, data: request.data)
                lock.unlock()
            }
            do {
                try connection.putrep(request, header, data)
            } catch {
                logger.warning("putrep: \(error)")
                if case .connectionLost = error { return }
            }
        }
    }

    /// Sends a client's write into the group and answers it once applied here.
    private func write(_ header: Header, _ data: [UInt8]) -> (Header, [UInt8]) {
        lock.lock()
        nextNumber += 1
        let tag = WriteTag(origin: origin, number: nextNumber)
        waiting.insert(tag)
        lock.unlock()
        // Which replica the clients reach: the test scripts kill that one.
        if tag.number % 50 == 0 { logger.info("clients' writes taken here: \(tag.number)") }
        var g = SystemRandomNumberGenerator()
        let message = ReplicatedWrite(tag: tag, time: Int32(truncatingIfNeeded: time(nil)),
                                      random: AmoebaCore.Port.random(using: &g), header: header, data: data).encoded()
        let deadline = Date().addingTimeInterval(ReplicatedService.writeDeadline)
        var status = ErrorCode.ok
        while true {
            do {
                try connection.grpSend(gid, Header(command: 1), message)
                break
            } catch {
                // BC_ABORT or BC_FAIL: a reset is under way or the sequencer
                // is gone. Send again: the tag makes a repeat harmless.
                guard case .rpc(let c) = error,
                      c.rawValue == ReplicatedService.bcAbort || c.rawValue == ReplicatedService.bcFail else {
                    logger.warning("grp_send: \(error)")
                    status = .systemError
                    break
                }
                lock.lock()
                let applied = answers[tag] != nil
                lock.unlock()
                if applied { break }
                guard Date() < deadline else {
                    status = .notNow
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        lock.lock()
        while status == .ok, answers[tag] == nil, Date() < deadline { _ = lock.wait(until: deadline) }
        let answer = answers.removeValue(forKey: tag)
        waiting.remove(tag)
        lock.unlock()
        if let a = answer { return a }
        return header.reply(.failure(status == .ok ? .notNow : status))
    }

    /// A piece of the state recorded for a joiner; STD_NOTNOW until this
    /// replica has reached that JOIN.
    private func statePiece(_ header: Header, _ data: [UInt8]) -> (Header, [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        guard server.isSuperOwner(header.private) else { return header.reply(.failure(.denied)) }
        guard let joiner = AmoebaCore.Port(bytes: data) else { return header.reply(.failure(.argumentBad)) }
        guard let piece = replica.statePiece(for: joiner, offset: Int(header.offset), count: ReplicaGroup.pieceSize) else {
            return header.reply(.failure(.notNow))
        }
        var h = header
        h.offset = Int32(clamping: piece.total)
        return h.reply(.success(piece.bytes))
    }
}
