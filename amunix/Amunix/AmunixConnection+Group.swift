// The grp_* calls for Linux programs: group communication through the
// member amunixd hosts for this connection (AMOEBA-FACTS §5.4). Each call
// blocks the calling thread like Amoeba's: grp_send until the message is
// ordered (and held by r members), grp_receive until the next message in
// the total order is there. Errors are Amoeba's group codes as
// `AmunixError.rpc`: BC_ABORT from grp_receive means a member failed and
// the group waits for grp_reset; BC_ABORT from grp_send means a reset is
// under way (try again after it).

import AmoebaCore

/// A group this program created or joined, as the daemon numbers it.
public struct GroupID: Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
}

extension AmunixConnection {
    /// grp_create: a new group on `port`, with this program's member as
    /// its sequencer.
    public func grpCreate(port: AmoebaCore.Port, _ parameters: GroupParameters = .init()) throws(AmunixError) -> GroupID {
        GroupID(rawValue: UInt16(truncatingIfNeeded: try groupStatus(.create(port: port, parameters))))
    }

    /// grp_join: joins the group on `header.port`; the members receive
    /// `header` as the join message.
    public func grpJoin(_ header: Header) throws(AmunixError) -> GroupID {
        GroupID(rawValue: UInt16(truncatingIfNeeded: try groupStatus(.join(header))))
    }

    /// grp_leave: returns once this member's leave is delivered.
    public func grpLeave(_ group: GroupID, _ header: Header = Header()) throws(AmunixError) {
        _ = try groupStatus(.leave(group: group.rawValue, header))
    }

    /// grp_send: returns once the message is ordered.
    public func grpSend(_ group: GroupID, _ header: Header, _ data: [UInt8] = []) throws(AmunixError) {
        _ = try groupStatus(.send(group: group.rawValue, header, data))
    }

    /// grp_receive: the next message in the total order, own ones included.
    public func grpReceive(_ group: GroupID) throws(AmunixError) -> GroupMessage {
        let call = reserveCall()
        let (answer, _) = try exchange(.group(call: call, .receive(group: group.rawValue)), call)
        switch answer {
        case .groupAnswer(_, .message(let m)): return m
        case .groupAnswer(_, .status(let s)): throw .rpc(ErrorCode(rawValue: Int16(truncatingIfNeeded: s)))
        default: throw .connectionLost
        }
    }

    /// grp_reset: rebuilds the group after a failure; the new size, or
    /// BC_FAIL when fewer than `minimum` members remain.
    public func grpReset(_ group: GroupID, minimum: Int, _ header: Header = Header()) throws(AmunixError) -> Int {
        Int(try groupStatus(.reset(group: group.rawValue, minimum: UInt16(clamping: minimum), header)))
    }

    /// grp_info.
    public func grpInfo(_ group: GroupID) throws(AmunixError) -> GroupState {
        let call = reserveCall()
        let (answer, _) = try exchange(.group(call: call, .info(group: group.rawValue)), call)
        switch answer {
        case .groupAnswer(_, .info(let s)): return s
        case .groupAnswer(_, .status(let s)): throw .rpc(ErrorCode(rawValue: Int16(truncatingIfNeeded: s)))
        default: throw .connectionLost
        }
    }

    /// Makes a call whose answer is a status: its value, or the error.
    private func groupStatus(_ g: GroupCall) throws(AmunixError) -> Int32 {
        let call = reserveCall()
        let (answer, _) = try exchange(.group(call: call, g), call)
        guard case .groupAnswer(_, .status(let s)) = answer else { throw .connectionLost }
        guard s >= 0 else { throw .rpc(ErrorCode(rawValue: Int16(truncatingIfNeeded: s))) }
        return s
    }
}
