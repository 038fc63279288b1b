// What a group member hands back to its driver: messages in the group's
// total order, and the outcome of the calls that wait (join, send, leave).
// The driver drains them with `takeEvents()` after the node says the layer
// has something (`NodeOutput.upperLayerReady`).

import AmoebaCore

public enum GroupDeliveryKind: Sendable, Equatable {
    case message
    /// `sender` joined; the header is the one it passed to join.
    case join
    /// `sender` left; the leaver gets this too, last of all.
    case leave
    /// The group was rebuilt after a failure (a RESULT): `sender` is the
    /// new sequencer, the header is the one its grp_reset was given.
    case reset
}

public struct GroupDelivery: Sendable, Equatable {
    public var sequence: SequenceNumber
    public var kind: GroupDeliveryKind
    public var sender: MemberIndex
    public var header: Header
    public var data: [UInt8]
}

/// Messages themselves are read with `receive`, at the reader's pace.
public enum GroupEvent: Sendable, Equatable {
    /// The join finished; this member has `index`.
    case joined(MemberIndex)
    case joinFailed(ErrorCode)
    /// The message is ordered at `sequence`; grp_send would return now.
    case sent(GroupMessageID, SequenceNumber)
    case sendFailed(GroupMessageID, ErrorCode)
    /// The member's own LEAVE was delivered; it hears nothing more.
    case left
    /// A member (or the sequencer) is gone: the group stopped and waits
    /// for `reset` (grp_receive's BC_ABORT). Sends already queued wait too.
    case resetNeeded
    /// The group was rebuilt with `total` members; grp_reset returns it.
    case reset(total: Int)
    case resetFailed(ErrorCode)
}

/// grp_info's answer.
public struct GroupInfo: Sendable, Equatable {
    /// The next sequence number this member's reader will get.
    public var expect: SequenceNumber
    public var total: Int
    public var me: MemberIndex
    public var sequencer: MemberIndex
    /// Live members' indexes, in order.
    public var members: [MemberIndex]
}
