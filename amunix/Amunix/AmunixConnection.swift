// The client library: trans, getreq and putrep for any Linux program.
//
// One connection to amunixd serves a whole program. Any number of threads
// may call into it at once: each call gets its own call number and its
// frame is written under a lock. There is no reader thread: one of the
// waiting threads at a time reads the socket for everybody and files each
// answer under its call number, so a single caller reads its own answer
// without a thread switch (the switch costs as much as the wire). So a
// program can have many transactions in flight and several server threads
// waiting on one port, exactly as Amoeba threads share one process's RPC
// state. Calls block the calling thread, like Amoeba's own trans and getreq.
//
// Server threads waiting on one port are interchangeable, and the daemon
// picks one of them by call number. When the reading thread finds a
// request addressed to another getreq on the port it is itself waiting
// on, it keeps the request and hands its own pending call to that thread
// instead: the request is served by the thread already awake, with no
// thread switch on the way to the server code.
//
// The same thread should also read for the next request. A server thread
// that leaves with a request usually comes back with its next getreq a
// few microseconds later; waking another thread to read in the meantime
// made every transaction pay a futex wake, a switch and a sleep (one vCPU,
// four server threads: 4-5 switches per null transaction against 2 with
// one). So when the leaving thread carries a request and every other
// waiting call is a getreq on the same port, nobody is woken: the socket
// stays unattended until a thread comes in, and the first one to come in
// reads. Requests that arrive while that thread is busy must still reach
// an idle one, or a slow request would serialise the server: one waiting
// thread, the watcher, sleeps with a timeout and takes the socket over
// once it has been unattended for a millisecond (Amoeba's server threads
// took requests in parallel; a millisecond is small against work that
// takes long enough to matter, and several requests read at once still go
// straight to their own threads). While the server is busy the watcher
// wakes once a millisecond to see whether it is still needed, tens of
// transactions apart; after 50 ms with nobody leaving it sleeps untimed,
// and the next leaving thread wakes it. Anything else (a trans or
// another port waiting, a getreq ending without a request) still wakes a
// reader at once, as answers for them cannot wait.
//
// Sending the reply and the next getreq in one frame would save a send
// per transaction, but the local protocol has no such message and putrep
// promises the reply is with the daemon when it returns, so holding it
// back for the next getreq would change the call; not done.

import AmoebaCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request handed to a server thread by `getreq`; give it back to `putrep`.
public struct IncomingRequest: Sendable {
    public let header: Header
    public let data: [UInt8]
    let call: UInt32
}

public final class AmunixConnection: @unchecked Sendable {
    /// Where the daemon listens unless told otherwise.
    public static let defaultSocketPath = "/run/amunix/amunixd.sock"

    /// `AMUNIX_SOCKET` if set, else the default.
    public static var socketPathFromEnvironment: String {
        ProcessInfo.processInfo.environment["AMUNIX_SOCKET"] ?? defaultSocketPath
    }

    private let fd: Int32
    private let writeLock = NSLock()
    private let room = WaitRoom()
    private var nextCall: UInt32 = 1
    private var answers: [UInt32: LocalMessage] = [:]
    private var waiting: Set<UInt32> = []
    /// The get-port of each call waiting in getreq.
    private var getreqPorts: [UInt32: AmoebaCore.Port] = [:]
    /// Calls whose thread now waits on another call of the same port.
    private var swapped: [UInt32: UInt32] = [:]
    /// Requests served by the thread that read them in place of the thread
    /// they were addressed to (for tests and curiosity).
    private(set) var requestsTakenOver = 0
    private var closed = false
    /// Whether some waiting thread is reading the socket right now.
    private var reading = false
    /// When nobody reads because the last reader left with a request and
    /// is expected back: the moment the watcher takes the socket over.
    private var unattendedUntil: Deadline?
    /// The call the watcher's thread waits on, if one keeps watch, and
    /// whether it sleeps with a timeout (else the next leaver wakes it).
    private var watcher: UInt32?
    private var watcherTimed = false
    /// Readers that left without waking anybody: the watcher's sign that
    /// the server is busy and its timed watch still needed.
    private var departures = 0
    /// Times a thread that left the socket woke another (to read or to
    /// watch), or the watcher stepped in to read (for tests).
    private(set) var readerHandOffs = 0
    private var assembler = FrameAssembler()
    private var readBuffer = [UInt8](repeating: 0, count: 65536)

    public init(path: String = AmunixConnection.socketPathFromEnvironment) throws(AmunixError) {
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .cannotConnect(path: path, errno: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(s)
            throw .invalidArgument("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
            raw[pathBytes.count] = 0
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard r == 0 else {
            let e = errno
            Glibc.close(s)
            throw .cannotConnect(path: path, errno: e)
        }
        fd = s
    }

    deinit {
        Glibc.close(fd)
    }

    /// Closes the connection; calls still waiting fail with connectionLost.
    /// The daemon withdraws this program's getreqs and answers its
    /// unanswered requests with an error.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        room.lock()
        closed = true
        room.wakeEveryone()
        room.unlock()
    }

    // MARK: the three calls

    /// Sends a request to the object in `header.port` and waits for the
    /// reply. A timeout ends the wait with RPC_FAILURE; nil leaves it to the
    /// RPC layer (which gives up on a dead or absent server by itself).
    public func trans(_ header: Header, _ data: [UInt8] = [],
                      timeout: Duration? = nil) throws(AmunixError) -> (header: Header, data: [UInt8]) {
        var ms: UInt32 = 0
        if let t = timeout {
            let total = t.components.seconds * 1000 + t.components.attoseconds / 1_000_000_000_000_000
            ms = UInt32(clamping: max(1, total))
        }
        let call = reserveCall()
        // The daemon ends the call at the timeout; should the daemon itself
        // not answer (stopped, wedged), the program gives up a little later
        // on its own, so --timeout always bounds the wait.
        let deadline = timeout.map { _ in Deadline(after: Int(ms) + 2000) }
        let (answer, _) = try exchange(.trans(call: call, timeoutMilliseconds: ms, header: header, data: data), call,
                                       deadline: deadline)
        guard case .reply(_, let status, let h, let d) = answer else { throw .connectionLost }
        guard status == .ok else { throw .rpc(status) }
        return (h, d)
    }

    /// Waits for one request to the put-port of `getPort`.
    public func getreq(_ getPort: AmoebaCore.Port) throws(AmunixError) -> IncomingRequest {
        guard !getPort.isNull else { throw .rpc(.rpcBadPort) }
        let call = reserveCall(getreqOn: getPort)
        let (answer, answered) = try exchange(.getreq(call: call, getPort: getPort), call)
        switch answer {
        case .request(_, let h, let d): return IncomingRequest(header: h, data: d, call: answered)
        case .done(_, let status): throw .rpc(status == .ok ? .rpcFailure : status)
        default: throw .connectionLost
        }
    }

    /// Sends the reply to `request`. Returns once the daemon has it; the
    /// RPC layer then delivers it (retransmitting until acknowledged).
    public func putrep(_ request: IncomingRequest, _ header: Header, _ data: [UInt8] = []) throws(AmunixError) {
        try send(.putrep(call: request.call, header: header, data: data))
    }

    // MARK: plumbing

    func reserveCall(getreqOn port: AmoebaCore.Port? = nil) -> UInt32 {
        room.lock()
        defer { room.unlock() }
        let c = nextCall
        nextCall &+= 1
        if nextCall == 0 { nextCall = 1 }
        waiting.insert(c)
        if let port { getreqPorts[c] = port }
        return c
    }

    /// Sends `message` and waits for the answer to `call`, or (for a
    /// getreq) to a call it was swapped for; returns the answer and the
    /// call it answered.
    func exchange(_ message: LocalMessage, _ call: UInt32,
                          deadline: Deadline? = nil) throws(AmunixError) -> (LocalMessage, UInt32) {
        do {
            try send(message)
        } catch {
            room.lock()
            waiting.remove(call)
            getreqPorts[call] = nil
            room.unlock()
            throw error
        }
        room.lock()
        defer { room.unlock() }
        var mine = call
        // Just sent: a thread coming back reads at once, whoever watches.
        var fresh = true
        var watchedDepartures = -1, quietTicks = 0
        while true {
            if let a = answers.removeValue(forKey: mine) {
                if case .request = a { finish(mine, leavingWithRequest: true) } else { finish(mine) }
                return (a, mine)
            }
            if let other = swapped.removeValue(forKey: mine) {
                mine = other
                continue
            }
            if closed {
                finish(mine)
                throw .connectionLost
            }
            if let deadline, deadline.hasPassed {
                // An answer arriving later finds the call no longer waiting
                // and is dropped.
                finish(mine)
                throw .rpc(.rpcFailure)
            }
            let wasFresh = fresh
            fresh = false
            if reading {
                if let deadline {
                    room.wait(for: mine, until: deadline.realtime)
                } else if watcher == nil || watcher == mine {
                    // Keep watch while readers come and go; sleep untimed
                    // once nobody left for a while.
                    watcher = mine
                    if watchedDepartures == departures { quietTicks += 1 } else { quietTicks = 0 }
                    watchedDepartures = departures
                    if quietTicks >= AmunixConnection.quietTicksBeforeSleep {
                        watcherTimed = false
                        room.wait(for: mine)
                    } else {
                        watcherTimed = true
                        room.wait(for: mine, until: Deadline(afterMicroseconds: AmunixConnection.watchMicroseconds).realtime)
                    }
                } else {
                    room.wait(for: mine)
                }
                continue
            }
            if let until = unattendedUntil, !wasFresh, deadline == nil {
                if !until.isDue {
                    if watcher == nil || watcher == mine {
                        watcher = mine
                        watcherTimed = true
                        room.wait(for: mine, until: until.realtime)
                    } else {
                        room.wait(for: mine)
                    }
                    continue
                }
                readerHandOffs += 1
            }
            // Lead: read for everybody until something arrives.
            if watcher == mine { watcher = nil }
            unattendedUntil = nil
            watchedDepartures = -1
            quietTicks = 0
            reading = true
            room.unlock()
            let messages = readSome(until: deadline)
            room.lock()
            reading = false
            guard let messages else {
                closed = true
                room.wakeEveryone()
                continue
            }
            for m in messages where waiting.contains(m.call) {
                if m.call != mine, answers[mine] == nil, case .request = m,
                   let port = getreqPorts[mine], getreqPorts[m.call] == port {
                    // Take the request; its thread waits on our call instead.
                    room.leave(mine)
                    room.move(from: m.call, to: mine)
                    swapped[m.call] = mine
                    if watcher == m.call { watcher = mine }
                    mine = m.call
                    requestsTakenOver += 1
                } else if m.call != mine {
                    room.wake(m.call)
                }
                answers[m.call] = m
            }
        }
    }

    /// How long the socket may stay unattended while its reader serves a
    /// request, and the watcher's tick while the server is busy.
    static let watchMicroseconds = 1000
    /// Ticks with nobody leaving before the watcher sleeps untimed: a
    /// server busier than one request in 50 ms never wakes it on the way
    /// out, and an idle one stops ticking soon.
    static let quietTicksBeforeSleep = 50

    /// With the lock held: `call`'s thread stops waiting. If nobody reads
    /// the socket now, one of the threads still waiting must take it over,
    /// at once or, when the leaver is a server thread likely to come back
    /// with its next getreq, only if it is not back in time.
    private func finish(_ call: UInt32, leavingWithRequest: Bool = false) {
        let port = getreqPorts[call]
        waiting.remove(call)
        getreqPorts[call] = nil
        room.leave(call)
        if watcher == call { watcher = nil }
        guard !reading && !waiting.isEmpty else { return }
        if leavingWithRequest, let port, getreqPorts.count == waiting.count,
           getreqPorts.values.allSatisfy({ $0 == port }) {
            unattendedUntil = Deadline(afterMicroseconds: AmunixConnection.watchMicroseconds)
            departures &+= 1
            if let w = watcher {
                if !watcherTimed {
                    watcherTimed = true
                    readerHandOffs += 1
                    room.wake(w)
                }
            } else {
                // Nobody watches (the watcher took a request itself): make
                // a watcher, which reads only if the leaver is not back.
                readerHandOffs += 1
                room.wakeAnyone(except: call)
            }
            return
        }
        unattendedUntil = nil
        readerHandOffs += 1
        room.wakeAnyone(except: call)
    }

    /// One blocking read; the complete messages in it, nil when the
    /// connection is gone or broken.
    private func readSome(until deadline: Deadline? = nil) -> [LocalMessage]? {
        while true {
            if let deadline {
                // Wait for data no longer than the deadline: nothing read
                // is an empty answer, and the caller looks at the clock.
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, Int32(clamping: deadline.millisecondsLeft))
                if r < 0 && errno == EINTR { continue }
                if r == 0 { return [] }
            }
            let n = readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            assembler.append(readBuffer[0..<n])
            var out: [LocalMessage] = []
            do {
                while let m = try assembler.next() { out.append(m) }
            } catch {
                return nil
            }
            if !out.isEmpty { return out }
        }
    }

    func send(_ message: LocalMessage) throws(AmunixError) {
        let frame = message.framed()
        writeLock.lock()
        defer { writeLock.unlock() }
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .connectionLost
            }
            sent += n
        }
    }
}
