// The bodies that follow the group header in the messages that set a
// group up: LOCATE (a joiner looking for the sequencer), HEREIS (the
// sequencer's answer) and JOIN (the ordered admission, carrying the member
// table). Layouts per AMOEBA-FACTS §5.2 (flgrp_marsh.c), in the sender's
// order. Every decoder returns nil on a short or malformed body.

import AmoebaCore
import FLIP

/// A member's state as the JOIN table carries it (flgrp_type.h).
public enum MemberState: UInt32, Sendable {
    case unused = 0, member, joining, leaving, leftMember
}

struct LocateBody {
    var header: GroupHeader
    /// h_port is the group's port: groups are found by port, not address.
    var amoebaHeader: Header
    var rpcAddress: FLIPAddress
    var memberAddress: FLIPAddress

    func encoded(order: ByteOrder) -> [UInt8] {
        var w: [UInt8] = []
        GroupWire.put(GroupWire.protocolID, into: &w, .big)
        header.encode(into: &w, order: order)
        w += amoebaHeader.encoded(order: order)
        w += rpcAddress.bytes
        w += memberAddress.bytes
        return w
    }

    /// nil unless the message starts with the group protocol id.
    static func decode(_ bytes: [UInt8]) -> LocateBody? {
        guard bytes.count >= 4, GroupWire.u32(bytes, 0, .big) == GroupWire.protocolID,
              let (h, order) = try? GroupHeader.decode(bytes, at: 4), h.type == .locate else { return nil }
        var r = WireReader(bytes, from: 4 + GroupHeader.size, order: order)
        guard let a = r.header(), let rpc = r.address(), let member = r.address() else { return nil }
        return LocateBody(header: h, amoebaHeader: a, rpcAddress: rpc, memberAddress: member)
    }
}

struct HereIsBody: Equatable {
    var maxGroup: UInt16
    var logHistory: UInt16
    var logMessageSize: UInt16
    var resilience: UInt16
    var large: UInt32
    var yourIndex: MemberIndex
    var sequencer: MemberIndex
    var groupAddress: FLIPAddress
    var groupAllAddress: FLIPAddress

    func encode(into w: inout [UInt8], order: ByteOrder) {
        GroupWire.put(maxGroup, into: &w, order)
        GroupWire.put(logHistory, into: &w, order)
        GroupWire.put(logMessageSize, into: &w, order)
        GroupWire.put(resilience, into: &w, order)
        GroupWire.put(large, into: &w, order)
        GroupWire.put(yourIndex.rawValue, into: &w, order)
        GroupWire.put(sequencer.rawValue, into: &w, order)
        w += groupAddress.bytes
        w += groupAllAddress.bytes
    }

    static func decode(_ r: inout WireReader) -> HereIsBody? {
        guard let maxGroup = r.u16(), let logHistory = r.u16(), let logSize = r.u16(), let resilience = r.u16(),
              let large = r.u32(), let you = r.u16(), let seq = r.u16(),
              let g = r.address(), let gAll = r.address() else { return nil }
        return HereIsBody(maxGroup: maxGroup, logHistory: logHistory, logMessageSize: logSize,
                          resilience: resilience, large: large, yourIndex: MemberIndex(you),
                          sequencer: MemberIndex(seq), groupAddress: g, groupAllAddress: gAll)
    }
}

/// One row of the JOIN message's member table.
struct MemberRow: Equatable {
    var address: FLIPAddress
    var rpcAddress: FLIPAddress
    var state: MemberState
    var expect: SequenceNumber
    var messageID: GroupMessageID

    static let unused = MemberRow(address: .null, rpcAddress: .null, state: .unused,
                                  expect: SequenceNumber(0), messageID: GroupMessageID(0))
}

/// What follows the Amoeba header in a JOIN: enough for the new member to
/// take its place in a running group.
struct JoinBody: Equatable {
    var newMember: FLIPAddress
    var rows: [MemberRow]
    var groupAllAddress: FLIPAddress
    var total: UInt16
    var sequencer: MemberIndex
    var nextSequence: SequenceNumber
    var incarnation: Incarnation
    var resilience: UInt16
    var large: UInt32

    func encode(into w: inout [UInt8], order: ByteOrder) {
        w += newMember.bytes
        for row in rows {
            w += row.address.bytes
            w += row.rpcAddress.bytes
            GroupWire.put(row.state.rawValue, into: &w, order)
            GroupWire.put(row.expect.rawValue, into: &w, order)
            GroupWire.put(row.messageID.rawValue, into: &w, order)
        }
        w += groupAllAddress.bytes
        GroupWire.put(total, into: &w, order)
        GroupWire.put(sequencer.rawValue, into: &w, order)
        GroupWire.put(nextSequence.rawValue, into: &w, order)
        GroupWire.put(incarnation.rawValue, into: &w, order)
        GroupWire.put(resilience, into: &w, order)
        GroupWire.put(large, into: &w, order)
    }

    /// The table has `maxGroup` rows; the receiver knows that from HEREIS.
    static func decode(_ r: inout WireReader, maxGroup: Int) -> JoinBody? {
        guard maxGroup >= 0, let newMember = r.address() else { return nil }
        // 28 bytes a row: refuse a count the body cannot hold before
        // reserving room for it.
        guard r.remaining / 28 >= maxGroup else { return nil }
        var rows: [MemberRow] = []
        rows.reserveCapacity(maxGroup)
        for _ in 0..<maxGroup {
            guard let a = r.address(), let rpc = r.address(), let s = r.u32(), let state = MemberState(rawValue: s),
                  let e = r.u32(), let m = r.u32() else { return nil }
            rows.append(MemberRow(address: a, rpcAddress: rpc, state: state, expect: SequenceNumber(e),
                                  messageID: GroupMessageID(m)))
        }
        guard let gAll = r.address(), let total = r.u16(), let seq = r.u16(), let next = r.u32(),
              let inc = r.u16(), let res = r.u16(), let large = r.u32() else { return nil }
        return JoinBody(newMember: newMember, rows: rows, groupAllAddress: gAll, total: total,
                        sequencer: MemberIndex(seq), nextSequence: SequenceNumber(next),
                        incarnation: Incarnation(rawValue: inc), resilience: res, large: large)
    }
}

/// What follows the Amoeba header in a RESULT (flgrp_marsh.c): the new
/// group as the reset's coordinator built it. The addresses are the
/// private ones: members listen on their public forms.
struct ResultBody: Equatable {
    var states: [MemberState]
    var groupAddress: FLIPAddress
    var groupAllAddress: FLIPAddress
    var total: UInt16
    var sequencer: MemberIndex
    var incarnation: Incarnation

    func encode(into w: inout [UInt8], order: ByteOrder) {
        for s in states { GroupWire.put(s.rawValue, into: &w, order) }
        w += groupAddress.bytes
        w += groupAllAddress.bytes
        GroupWire.put(total, into: &w, order)
        GroupWire.put(sequencer.rawValue, into: &w, order)
        GroupWire.put(incarnation.rawValue, into: &w, order)
    }

    /// `maxGroup` states, as the receiver's table has; nil when short,
    /// when a state is unknown or the sequencer is not in the table.
    static func decode(_ r: inout WireReader, maxGroup: Int) -> ResultBody? {
        guard maxGroup >= 0, r.remaining / 4 >= maxGroup else { return nil }
        var states: [MemberState] = []
        states.reserveCapacity(maxGroup)
        for _ in 0..<maxGroup {
            guard let v = r.u32(), let s = MemberState(rawValue: v) else { return nil }
            states.append(s)
        }
        guard let g = r.address(), let gAll = r.address(), let total = r.u16(), let seq = r.u16(),
              let inc = r.u16(), Int(seq) < maxGroup else { return nil }
        return ResultBody(states: states, groupAddress: g, groupAllAddress: gAll, total: total,
                          sequencer: MemberIndex(seq), incarnation: Incarnation(rawValue: inc))
    }
}
