// The local API between amunixd and the Linux programs that use it.
//
// A program talks to the daemon over a Unix-domain stream socket. Each
// message is a frame: a 4-byte little-endian length, then that many bytes,
// the first of which says what the message is. Every message carries a call
// number the program chose, so one connection can have many transactions
// and many server threads in flight at once and the answers find their
// callers in any order. The codec lives here, beside the client, so that the
// daemon and the library cannot disagree about it; it never traps on bad
// input, because a daemon must survive any program that connects to it.

import AmoebaCore

/// One message of the local API, in either direction.
public enum LocalMessage: Hashable, Sendable {
    // Program to daemon.
    /// Start a transaction; `timeoutMilliseconds` 0 means the RPC layer's own.
    case trans(call: UInt32, timeoutMilliseconds: UInt32, header: Header, data: [UInt8])
    /// Wait for one request on the secret `getPort`.
    case getreq(call: UInt32, getPort: Port)
    /// Answer the request that arrived for getreq `call`.
    case putrep(call: UInt32, header: Header, data: [UInt8])
    /// Withdraw a getreq that has no request yet.
    case cancel(call: UInt32)
    /// A grp_* call (GroupLocalMessage.swift).
    case group(call: UInt32, GroupCall)

    // Daemon to program.
    /// A transaction ended: `status` is OK with the reply, or the RPC error.
    case reply(call: UInt32, status: ErrorCode, header: Header, data: [UInt8])
    /// A request arrived for getreq `call`.
    case request(call: UInt32, header: Header, data: [UInt8])
    /// A getreq or putrep ended without a request: its status.
    case done(call: UInt32, status: ErrorCode)
    /// A grp_* call ended, or grp_receive has a message.
    case groupAnswer(call: UInt32, GroupAnswer)

    enum Kind: UInt8 {
        case trans = 1, getreq = 2, putrep = 3, cancel = 4, group = 5
        case reply = 65, request = 66, done = 67, groupAnswer = 68
    }

    /// The call number every message carries.
    public var call: UInt32 {
        switch self {
        case .trans(let c, _, _, _), .getreq(let c, _), .putrep(let c, _, _), .cancel(let c),
             .reply(let c, _, _, _), .request(let c, _, _), .done(let c, _), .group(let c, _), .groupAnswer(let c, _):
            return c
        }
    }
}

/// Why bytes from the socket are not a message.
public enum LocalProtocolError: Error, Equatable, Sendable {
    case frameTooLarge(Int)
    case unknownKind(UInt8)
    case malformed(String)
}

extension LocalMessage {
    /// Largest frame body either side accepts: an RPC's data plus headers.
    public static let maximumFrame = (1 << 20) + 256

    /// The whole frame, length prefix included.
    public func framed() -> [UInt8] {
        var w = BufferWriter(reservingCapacity: 64)
        try! w.write(UInt32(0))   // patched below; no limit, cannot fail
        switch self {
        case .trans(let call, let timeout, let header, let data):
            try! w.write(Kind.trans.rawValue)
            try! w.write(call)
            try! w.write(timeout)
            try! header.encode(into: &w)
            try! w.write(bytes: data)
        case .getreq(let call, let port):
            try! w.write(Kind.getreq.rawValue)
            try! w.write(call)
            try! w.write(port)
        case .putrep(let call, let header, let data):
            try! w.write(Kind.putrep.rawValue)
            try! w.write(call)
            try! header.encode(into: &w)
            try! w.write(bytes: data)
        case .cancel(let call):
            try! w.write(Kind.cancel.rawValue)
            try! w.write(call)
        case .reply(let call, let status, let header, let data):
            try! w.write(Kind.reply.rawValue)
            try! w.write(call)
            try! w.write(status.rawValue)
            try! header.encode(into: &w)
            try! w.write(bytes: data)
        case .request(let call, let header, let data):
            try! w.write(Kind.request.rawValue)
            try! w.write(call)
            try! header.encode(into: &w)
            try! w.write(bytes: data)
        case .done(let call, let status):
            try! w.write(Kind.done.rawValue)
            try! w.write(call)
            try! w.write(status.rawValue)
        case .group(let call, let g):
            try! w.write(Kind.group.rawValue)
            try! w.write(call)
            g.encode(into: &w)
        case .groupAnswer(let call, let a):
            try! w.write(Kind.groupAnswer.rawValue)
            try! w.write(call)
            a.encode(into: &w)
        }
        var bytes = w.bytes
        let n = UInt32(bytes.count - 4)
        bytes[0] = UInt8(truncatingIfNeeded: n)
        bytes[1] = UInt8(truncatingIfNeeded: n >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: n >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: n >> 24)
        return bytes
    }

    /// Decodes one frame body (the bytes after the length prefix).
    public static func decode(body: [UInt8]) throws(LocalProtocolError) -> LocalMessage {
        var r = BufferReader(body)
        do {
            let raw = try r.readUInt8()
            guard let kind = Kind(rawValue: raw) else { throw LocalProtocolError.unknownKind(raw) }
            let call = try r.readUInt32()
            switch kind {
            case .trans:
                let timeout = try r.readUInt32()
                let header = try Header.decode(from: &r)
                return .trans(call: call, timeoutMilliseconds: timeout, header: header, data: r.readRest())
            case .getreq:
                let port = try r.readPort()
                try expectEnd(r)
                return .getreq(call: call, getPort: port)
            case .putrep:
                let header = try Header.decode(from: &r)
                return .putrep(call: call, header: header, data: r.readRest())
            case .cancel:
                try expectEnd(r)
                return .cancel(call: call)
            case .reply:
                let status = ErrorCode(rawValue: try r.readInt16())
                let header = try Header.decode(from: &r)
                return .reply(call: call, status: status, header: header, data: r.readRest())
            case .request:
                let header = try Header.decode(from: &r)
                return .request(call: call, header: header, data: r.readRest())
            case .done:
                let status = ErrorCode(rawValue: try r.readInt16())
                try expectEnd(r)
                return .done(call: call, status: status)
            case .group:
                return .group(call: call, try GroupCall.decode(from: &r))
            case .groupAnswer:
                return .groupAnswer(call: call, try GroupAnswer.decode(from: &r))
            }
        } catch let e as LocalProtocolError {
            throw e
        } catch {
            throw .malformed("message is truncated")
        }
    }

    private static func expectEnd(_ r: BufferReader) throws(LocalProtocolError) {
        guard r.isAtEnd else { throw .malformed("trailing bytes after the message") }
    }
}

/// Cuts a byte stream into frames. Feed it whatever `read` returned; take
/// out the messages that are complete.
public struct FrameAssembler: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes of a frame not yet whole (what `next` left waiting).
    public var pendingBytes: Int { buffer.count - start }

    /// The next complete message, nil when more bytes are needed. An error
    /// means the stream is beyond repair and the connection should close.
    public mutating func next() throws(LocalProtocolError) -> LocalMessage? {
        let available = buffer.count - start
        guard available >= 4 else { compact(); return nil }
        let n = Int(buffer[start]) | Int(buffer[start + 1]) << 8
            | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
        guard n >= 1, n <= LocalMessage.maximumFrame else { throw .frameTooLarge(n) }
        guard available >= 4 + n else { compact(); return nil }
        let body = Array(buffer[(start + 4)..<(start + 4 + n)])
        start += 4 + n
        return try LocalMessage.decode(body: body)
    }

    private mutating func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
