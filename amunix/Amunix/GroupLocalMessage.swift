// The group calls of the local API (grp_create, grp_join, grp_leave,
// grp_send, grp_receive, grp_reset, grp_info) and the daemon's answers.
//
// They travel inside LocalMessage as `.group` and `.groupAnswer`, with a
// byte of their own after the call number saying which call or answer it
// is, so the RPC messages' layout is untouched. A group is named by the id
// the daemon gave at create or join; it belongs to the connection that
// made it, and the daemon makes its member multicast DEAD when that
// connection goes away without a leave. Like the rest of the codec it
// never traps on bad input.

import AmoebaCore

/// What grp_create takes besides the port (AMOEBA-FACTS §5.4).
public struct GroupParameters: Hashable, Sendable {
    public var resilience: UInt16
    public var maxGroup: UInt16
    public var logHistory: UInt16
    public var logMessageSize: UInt16

    public init(resilience: UInt16 = 0, maxGroup: UInt16 = 32, logHistory: UInt16 = 7, logMessageSize: UInt16 = 14) {
        self.resilience = resilience
        self.maxGroup = maxGroup
        self.logHistory = logHistory
        self.logMessageSize = logMessageSize
    }
}

/// Program to daemon.
public enum GroupCall: Hashable, Sendable {
    case create(port: Port, GroupParameters)
    case join(Header)
    case leave(group: UInt16, Header)
    case send(group: UInt16, Header, [UInt8])
    case receive(group: UInt16)
    case reset(group: UInt16, minimum: UInt16, Header)
    case info(group: UInt16)

    enum Kind: UInt8 { case create = 1, join, leave, send, receive, reset, info }
}

/// What a delivered group message is.
public enum GroupMessageKind: UInt8, Sendable {
    case message = 0, join, leave, reset
}

/// One message in the group's total order, as grp_receive returns it.
public struct GroupMessage: Hashable, Sendable {
    public var sequence: UInt32
    public var kind: GroupMessageKind
    /// The member index of its sender (the joiner, the leaver, the new
    /// sequencer for a reset).
    public var sender: UInt16
    /// grp_receive's `more`: messages already waiting after this one.
    public var more: UInt32
    public var header: Header
    public var data: [UInt8]

    public init(sequence: UInt32, kind: GroupMessageKind, sender: UInt16, more: UInt32, header: Header, data: [UInt8]) {
        self.sequence = sequence
        self.kind = kind
        self.sender = sender
        self.more = more
        self.header = header
        self.data = data
    }
}

/// grp_info's answer.
public struct GroupState: Hashable, Sendable {
    public var expect: UInt32
    public var me: UInt16
    public var sequencer: UInt16
    public var members: [UInt16]

    public init(expect: UInt32, me: UInt16, sequencer: UInt16, members: [UInt16]) {
        self.expect = expect
        self.me = me
        self.sequencer = sequencer
        self.members = members
    }
}

/// Daemon to program.
public enum GroupAnswer: Hashable, Sendable {
    /// The call ended: a group id, a group size, 0, or (negative) an error.
    case status(Int32)
    case message(GroupMessage)
    case info(GroupState)

    enum Kind: UInt8 { case status = 1, message, info }
}

extension GroupCall {
    func encode(into w: inout BufferWriter) {
        switch self {
        case .create(let port, let p):
            try! w.write(Kind.create.rawValue)
            try! w.write(port)
            for v in [p.resilience, p.maxGroup, p.logHistory, p.logMessageSize] { try! w.write(v) }
        case .join(let h):
            try! w.write(Kind.join.rawValue)
            try! h.encode(into: &w)
        case .leave(let g, let h):
            try! w.write(Kind.leave.rawValue)
            try! w.write(g)
            try! h.encode(into: &w)
        case .send(let g, let h, let data):
            try! w.write(Kind.send.rawValue)
            try! w.write(g)
            try! h.encode(into: &w)
            try! w.write(bytes: data)
        case .receive(let g):
            try! w.write(Kind.receive.rawValue)
            try! w.write(g)
        case .reset(let g, let minimum, let h):
            try! w.write(Kind.reset.rawValue)
            try! w.write(g)
            try! w.write(minimum)
            try! h.encode(into: &w)
        case .info(let g):
            try! w.write(Kind.info.rawValue)
            try! w.write(g)
        }
    }

    static func decode(from r: inout BufferReader) throws(LocalProtocolError) -> GroupCall {
        do {
            let raw = try r.readUInt8()
            guard let kind = Kind(rawValue: raw) else { throw LocalProtocolError.malformed("unknown group call \(raw)") }
            switch kind {
            case .create:
                let port = try r.readPort()
                let p = GroupParameters(resilience: try r.readUInt16(), maxGroup: try r.readUInt16(),
                                        logHistory: try r.readUInt16(), logMessageSize: try r.readUInt16())
                try end(r)
                return .create(port: port, p)
            case .join:
                let h = try Header.decode(from: &r)
                try end(r)
                return .join(h)
            case .leave:
                let g = try r.readUInt16()
                let h = try Header.decode(from: &r)
                try end(r)
                return .leave(group: g, h)
            case .send:
                let g = try r.readUInt16()
                let h = try Header.decode(from: &r)
                return .send(group: g, h, r.readRest())
            case .receive:
                let g = try r.readUInt16()
                try end(r)
                return .receive(group: g)
            case .reset:
                let g = try r.readUInt16()
                let minimum = try r.readUInt16()
                let h = try Header.decode(from: &r)
                try end(r)
                return .reset(group: g, minimum: minimum, h)
            case .info:
                let g = try r.readUInt16()
                try end(r)
                return .info(group: g)
            }
        } catch let e as LocalProtocolError {
            throw e
        } catch {
            throw .malformed("group call is truncated")
        }
    }
}

extension GroupAnswer {
    func encode(into w: inout BufferWriter) {
        switch self {
        case .status(let v):
            try! w.write(Kind.status.rawValue)
            try! w.write(UInt32(bitPattern: v))
        case .message(let m):
            try! w.write(Kind.message.rawValue)
            try! w.write(m.sequence)
            try! w.write(m.kind.rawValue)
            try! w.write(m.sender)
            try! w.write(m.more)
            try! m.header.encode(into: &w)
            try! w.write(bytes: m.data)
        case .info(let s):
            try! w.write(Kind.info.rawValue)
            try! w.write(s.expect)
            try! w.write(s.me)
            try! w.write(s.sequencer)
            try! w.write(UInt16(truncatingIfNeeded: s.members.count))
            for m in s.members.prefix(Int(UInt16.max)) { try! w.write(m) }
        }
    }

    static func decode(from r: inout BufferReader) throws(LocalProtocolError) -> GroupAnswer {
        do {
            let raw = try r.readUInt8()
            guard let kind = Kind(rawValue: raw) else { throw LocalProtocolError.malformed("unknown group answer \(raw)") }
            switch kind {
            case .status:
                let v = Int32(bitPattern: try r.readUInt32())
                try end(r)
                return .status(v)
            case .message:
                let sequence = try r.readUInt32()
                let k = try r.readUInt8()
                guard let kind = GroupMessageKind(rawValue: k) else {
                    throw LocalProtocolError.malformed("unknown group message kind \(k)")
                }
                let sender = try r.readUInt16()
                let more = try r.readUInt32()
                let h = try Header.decode(from: &r)
                return .message(GroupMessage(sequence: sequence, kind: kind, sender: sender, more: more, header: h,
                                             data: r.readRest()))
            case .info:
                let expect = try r.readUInt32()
                let me = try r.readUInt16()
                let seq = try r.readUInt16()
                let n = Int(try r.readUInt16())
                var members: [UInt16] = []
                for _ in 0..<n { members.append(try r.readUInt16()) }
                try end(r)
                return .info(GroupState(expect: expect, me: me, sequencer: seq, members: members))
            }
        } catch let e as LocalProtocolError {
            throw e
        } catch {
            throw .malformed("group answer is truncated")
        }
    }
}

private func end(_ r: BufferReader) throws(LocalProtocolError) {
    guard r.isAtEnd else { throw .malformed("trailing bytes after the group message") }
}
