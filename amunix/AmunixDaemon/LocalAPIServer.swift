// The daemon's side of the local API: a Unix-domain listening socket and
// the connections of the programs using it.
//
// Everything here is non-blocking, because one slow or stuck program must
// never stall the event loop that runs the network for everybody: frames
// that cannot be written at once wait in a per-connection outbox and go
// out when poll says the socket is writable. The socket is created with
// mode 0660, so only the owner and the group can use the host's network.

import AmoebaCore
import CBatchIO
import Amunix
#if canImport(Glibc)
import Glibc
#endif

final class LocalConnection {
    let id: Int
    let fd: Int32
    var assembler = FrameAssembler()
    var outbox: [UInt8] = []
    var outboxStart = 0
    /// Transactions this program has in flight: bounded, so one program
    /// cannot take the whole state table from the others.
    var transactionsInFlight = 0
    /// Since when a frame has been begun and not finished: a program that
    /// stalls half-way through one is disconnected (`partialFrameDeadline`),
    /// so stalled halves cannot pile up in the daemon.
    var partialSince: Instant? = nil

    init(id: Int, fd: Int32) {
        self.id = id
        self.fd = fd
    }

    var wantsWrite: Bool { outboxStart < outbox.count }
}

final class LocalAPIServer {
    let path: String
    let listener: Int32
    private(set) var connections: [Int: LocalConnection] = [:]
    private var nextID = 1
    private var readBuffer = [UInt8](repeating: 0, count: 65536)
    /// A program that lets this much pile up unread is disconnected.
    static let outboxLimit = 64 << 20
    /// Programs connected at once: past this a new one is closed at once
    /// (each may hold a frame of up to 1 MiB being assembled).
    static let connectionLimit = 1024
    /// How long a begun frame may wait for its rest.
    static let partialFrameDeadline = Interval.seconds(10)
    /// How long the listener rests when the daemon is out of file
    /// descriptors: a pending connection it cannot take keeps the socket
    /// readable, and polling it meanwhile would spin.
    static let acceptPause = Interval.milliseconds(250)
    /// The listener is not polled before this (out of descriptors).
    private(set) var acceptPausedUntil: Instant? = nil
    /// Connections closed at once for `connectionLimit`.
    private(set) var refused = 0

    init(path: String) throws(LinkError) {
        self.path = path
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .system("local socket") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(s)
            throw LinkError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        // A socket file left by a daemon that died is in the way.
        unlink(path)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard r == 0 else {
            let e = LinkError.system("bind \(path)")
            Glibc.close(s)
            throw e
        }
        chmod(path, 0o660)
        guard listen(s, 128) == 0 else {
            let e = LinkError.system("listen \(path)")
            Glibc.close(s)
            throw e
        }
        setNonBlocking(s)
        listener = s
    }

    /// Whether the listener should be polled now.
    func accepting(at now: Instant) -> Bool {
        guard let until = acceptPausedUntil else { return true }
        if until <= now { acceptPausedUntil = nil; return true }
        return false
    }

    /// Takes every pending connection; returns how many. Out of file
    /// descriptors, it rests the listener (`acceptPause`); past
    /// `connectionLimit`, a new connection is closed at once.
    func acceptAll(now: Instant) -> Int {
        var n = 0
        while true {
            let c = amx_accept_cloexec(listener)
            if c < 0 {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    acceptPausedUntil = now + LocalAPIServer.acceptPause
                }
                return n
            }
            if connections.count >= LocalAPIServer.connectionLimit {
                Glibc.close(c)
                refused += 1
                continue
            }
            setNonBlocking(c)
            let conn = LocalConnection(id: nextID, fd: c)
            nextID += 1
            connections[conn.id] = conn
            n += 1
        }
    }

    enum ReadResult {
        case messages([LocalMessage])
        /// The program went away or broke the protocol: forget it.
        case closed(LocalProtocolError?)
    }

    func read(_ conn: LocalConnection, now: Instant) -> ReadResult {
        let result = readAvailable(conn)
        if conn.assembler.pendingBytes == 0 {
            conn.partialSince = nil
        } else if conn.partialSince == nil {
            conn.partialSince = now
        }
        return result
    }

    /// When the next stalled frame's deadline falls, if any frame is begun.
    /// Asked every turn of the loop: a walk, no array made.
    var nextStallDeadline: Instant? {
        var earliest: Instant? = nil
        for c in connections.values {
            guard let since = c.partialSince else { continue }
            let due = since + LocalAPIServer.partialFrameDeadline
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    private func readAvailable(_ conn: LocalConnection) -> ReadResult {
        var messages: [LocalMessage] = []
        while true {
            let n = readBuffer.withUnsafeMutableBytes { recv(conn.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return .closed(nil) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return .closed(nil)
            }
            conn.assembler.append(readBuffer[0..<n])
            do {
                while let m = try conn.assembler.next() { messages.append(m) }
            } catch {
                return .closed(error)
            }
            if n < readBuffer.count { break }
        }
        return .messages(messages)
    }

    /// Queues `message` and writes as much as the socket takes now. False
    /// when the connection is beyond saving.
    @discardableResult
    func send(_ message: LocalMessage, to conn: LocalConnection) -> Bool {
        if conn.outboxStart == conn.outbox.count {
            conn.outbox.removeAll(keepingCapacity: true)
            conn.outboxStart = 0
        }
        conn.outbox.append(contentsOf: message.framed())
        guard conn.outbox.count - conn.outboxStart <= LocalAPIServer.outboxLimit else { return false }
        return flush(conn)
    }

    /// Writes what is queued; false when the socket failed.
    @discardableResult
    func flush(_ conn: LocalConnection) -> Bool {
        while conn.outboxStart < conn.outbox.count {
            let n = conn.outbox.withUnsafeBytes { raw in
                Glibc.send(conn.fd, raw.baseAddress! + conn.outboxStart, raw.count - conn.outboxStart,
                           Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            conn.outboxStart += n
        }
        if conn.outboxStart > (1 << 20) {
            conn.outbox.removeFirst(conn.outboxStart)
            conn.outboxStart = 0
        }
        return true
    }

    func close(_ conn: LocalConnection) {
        Glibc.close(conn.fd)
        connections[conn.id] = nil
    }

    func closeListener() {
        Glibc.close(listener)
        unlink(path)
    }

    func closeAll() {
        for c in connections.values { Glibc.close(c.fd) }
        connections.removeAll()
    }
}

func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}
