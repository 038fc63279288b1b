// The 40-byte FLIP header.
//
// Every FLIP packet starts with it: version, type, flags, two hop counts,
// destination and source addresses, and the message id, fragment length,
// fragment offset and total message length. Integers travel in the
// sender's byte order, with the BIGENDIAN flag saying which; addresses are
// raw bytes. We always send little-endian and accept both. Decoding checks
// only what the header alone can prove (size, version); whether a packet
// makes sense in context is the box's business.

import AmoebaCore

/// What a FLIP packet is for.
public enum FLIPPacketType: UInt8, Sendable {
    case locate = 1
    case hereIs = 2
    case unidata = 3
    case multidata = 4
    case notHere = 5
    case untrusted = 6
}

/// The flag bits of the FLIP header.
public struct FLIPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Integers in this header (and a HEREIS trailer) are big-endian.
    public static let bigEndian = FLIPFlags(rawValue: 0x01)
    public static let codeField = FLIPFlags(rawValue: 0x02)
    /// Route this packet over trusted networks only.
    public static let security = FLIPFlags(rawValue: 0x04)
    /// No route over trusted networks only exists.
    public static let unreachable = FLIPFlags(rawValue: 0x10)
    /// The packet has crossed an untrusted network.
    public static let unsafe = FLIPFlags(rawValue: 0x20)
}

/// Why a FLIP header could not be decoded.
public enum FLIPHeaderError: Error, Equatable, Sendable {
    case truncated(available: Int)
    case badVersion(UInt8)
}

public struct FLIPHeader: Hashable, Sendable {
    public static let size = 40
    public static let version: UInt8 = 1

    /// Kept raw so that a header of an unknown type still decodes and can be
    /// counted; `packetType` interprets it.
    public var type: UInt8
    /// Flags as received, except that `bigEndian` only describes the wire
    /// form and is not kept here: the fields below are already host values.
    public var flags: FLIPFlags
    public var reserved: UInt8
    public var actualHops: UInt16
    public var maximumHops: UInt16
    public var destination: FLIPAddress
    public var source: FLIPAddress
    public var messageID: UInt32
    /// Bytes of data in this packet.
    public var length: UInt32
    /// Where those bytes start within the whole message.
    public var offset: UInt32
    /// Bytes in the whole message.
    public var total: UInt32

    public init(type: FLIPPacketType, flags: FLIPFlags = [], actualHops: UInt16 = 0,
                maximumHops: UInt16, destination: FLIPAddress, source: FLIPAddress,
                messageID: UInt32, length: UInt32, offset: UInt32 = 0, total: UInt32) {
        self.type = type.rawValue
        self.flags = flags.subtracting(.bigEndian)
        self.reserved = 0
        self.actualHops = actualHops
        self.maximumHops = maximumHops
        self.destination = destination
        self.source = source
        self.messageID = messageID
        self.length = length
        self.offset = offset
        self.total = total
    }

    public var packetType: FLIPPacketType? { FLIPPacketType(rawValue: type) }

    /// The 40 wire bytes, integers in `order` (the flag is set to match).
    public func encoded(_ order: ByteOrder = .little) -> [UInt8] {
        FixedOffsets.bytes(headers: FLIPHeader.size) { store($0, at: 0, order: order) }   // WireAppend.swift
    }

    /// Decodes the header at `start` in `bytes`; returns it with the byte
    /// order its sender used.
    public static func decode(_ bytes: [UInt8], at start: Int = 0) throws(FLIPHeaderError) -> (header: FLIPHeader, order: ByteOrder) {
        guard start >= 0, start <= bytes.count, bytes.count - start >= size else {
            throw .truncated(available: max(0, bytes.count - max(0, start)))
        }
        let version = bytes[start]
        guard version == FLIPHeader.version else { throw .badVersion(version) }
        return bytes.withUnsafeBytes { load($0.baseAddress!, at: start) }
    }
}
