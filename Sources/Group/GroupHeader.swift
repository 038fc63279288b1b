// The 20-byte group header (Amoeba's bchdr_t) that starts every group
// message, and the typed values it carries.
//
// Amoeba writes the integers in the sender's native order and sets
// F_BIGENDIAN when that order is big-endian; a receiver converts. We send
// little-endian by default and accept either. The decoder is fed whatever
// the network brings, so it checks the length first and reports errors
// instead of trapping; an unknown type byte is an error, not a crash.

import AmoebaCore

/// Message types (flgrp_header.h).
public enum GroupMessageType: UInt8, Sendable, CaseIterable {
    case locate = 0, hereIs, joinRequest, join, leaveRequest, leave, broadcastRequest, broadcast
    case ack, retransmit, sync, state, reformRequest, vote, result, resultAck, alive, aliveRequest, dead
}

/// A position in the group's total order. Amoeba starts at 1.
public struct SequenceNumber: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ v: UInt32) { rawValue = v }
    public static let first = SequenceNumber(1)
    public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { a.rawValue < b.rawValue }
    public var next: SequenceNumber { SequenceNumber(rawValue &+ 1) }
    /// How many numbers lie from `other` up to this one (0 when not above).
    public func distance(from other: SequenceNumber) -> Int {
        rawValue > other.rawValue ? Int(rawValue - other.rawValue) : 0
    }
}

/// A member's slot in the group (the header's `cpu`).
public struct MemberIndex: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ v: UInt16) { rawValue = v }
    public static func < (a: MemberIndex, b: MemberIndex) -> Bool { a.rawValue < b.rawValue }
}

/// Per-sender message counter: the sequencer recognises a retried request
/// by a messid it has already ordered.
public struct GroupMessageID: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ v: UInt32) { rawValue = v }
    public static func < (a: GroupMessageID, b: GroupMessageID) -> Bool { a.rawValue < b.rawValue }
    public var next: GroupMessageID { GroupMessageID(rawValue &+ 1) }
}

/// Counts the group's rebirths after a reset.
public struct Incarnation: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public var next: Incarnation { Incarnation(rawValue: rawValue &+ 1) }
    /// Whether `self` is a later incarnation than `other`, counting
    /// around the wrap as sequence arithmetic does.
    func isAfter(_ other: Incarnation) -> Bool {
        let d = rawValue &- other.rawValue
        return d != 0 && d < 0x8000
    }
}

public enum GroupHeaderError: Error, Equatable, Sendable {
    case truncated(available: Int)
    case unknownType(UInt8)
}

public struct GroupHeader: Equatable, Sendable {
    public static let size = 20
    /// F_BIGENDIAN: the sender wrote its integers big-endian.
    public static let bigEndianFlag: UInt8 = 0x01

    public var type: GroupMessageType
    /// Flags other than the byte-order bit, kept as they came.
    public var flags: UInt8
    public var reserved: UInt16
    public var sender: MemberIndex
    public var incarnation: Incarnation
    public var sequence: SequenceNumber
    public var messageID: GroupMessageID
    /// The next sequence number the sender expects: its acknowledgement of
    /// everything before, which lets the sequencer trim its history.
    public var expect: SequenceNumber

    public init(type: GroupMessageType, sender: MemberIndex, incarnation: Incarnation = Incarnation(rawValue: 0),
                sequence: SequenceNumber = SequenceNumber(0), messageID: GroupMessageID = GroupMessageID(0),
                expect: SequenceNumber = SequenceNumber(0), flags: UInt8 = 0, reserved: UInt16 = 0) {
        self.type = type
        self.flags = flags & ~GroupHeader.bigEndianFlag
        self.reserved = reserved
        self.sender = sender
        self.incarnation = incarnation
        self.sequence = sequence
        self.messageID = messageID
        self.expect = expect
    }

    /// Appends the 20 bytes in `order`, setting the byte-order flag to match.
    public func encode(into w: inout [UInt8], order: ByteOrder = .little) {
        w.append(type.rawValue)
        w.append(order == .big ? flags | GroupHeader.bigEndianFlag : flags & ~GroupHeader.bigEndianFlag)
        GroupWire.put(reserved, into: &w, order)
        GroupWire.put(sender.rawValue, into: &w, order)
        GroupWire.put(incarnation.rawValue, into: &w, order)
        GroupWire.put(sequence.rawValue, into: &w, order)
        GroupWire.put(messageID.rawValue, into: &w, order)
        GroupWire.put(expect.rawValue, into: &w, order)
    }

    public func encoded(order: ByteOrder = .little) -> [UInt8] {
        var w: [UInt8] = []
        w.reserveCapacity(GroupHeader.size)
        encode(into: &w, order: order)
        return w
    }

    /// Decodes the header at `offset`; also says which order the rest of
    /// the message is in.
    public static func decode(_ bytes: [UInt8], at offset: Int = 0) throws(GroupHeaderError) -> (GroupHeader, ByteOrder) {
        guard offset >= 0, bytes.count - offset >= size else {
            throw .truncated(available: max(0, bytes.count - max(0, offset)))
        }
        guard let type = GroupMessageType(rawValue: bytes[offset]) else { throw .unknownType(bytes[offset]) }
        let flags = bytes[offset + 1]
        let order: ByteOrder = flags & bigEndianFlag != 0 ? .big : .little
        let b = offset
        let h = GroupHeader(
            type: type, sender: MemberIndex(GroupWire.u16(bytes, b + 4, order)),
            incarnation: Incarnation(rawValue: GroupWire.u16(bytes, b + 6, order)),
            sequence: SequenceNumber(GroupWire.u32(bytes, b + 8, order)),
            messageID: GroupMessageID(GroupWire.u32(bytes, b + 12, order)),
            expect: SequenceNumber(GroupWire.u32(bytes, b + 16, order)),
            flags: flags, reserved: GroupWire.u16(bytes, b + 2, order))
        return (h, order)
    }
}
