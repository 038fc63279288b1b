// The amp header: the 24 bytes in front of every RPC message on FLIP.
//
//     kid 8 | port 6 | type 1 | flags 1 | tid 4 | dest 2 | from 2
//
// `kid` names the sending kernel for this boot; with `tid` it makes every
// transaction unique, which is what at-most-once rests on. `dest` and `from`
// are indices of per-thread protocol state at the two ends, so a reply finds
// its waiting client without a search. In a REQUEST, `dest` carries instead
// the client's estimate of the round trip in milliseconds, which the server
// uses to pace its reply retransmissions (as Amoeba 5.3 does).
// tid/dest/from travel in the sender's byte order; flag BIGENDIAN says which.

import AmoebaCore
import FLIP

/// The 8-byte kernel identifier: random per boot, shaped like a FLIP address.
public typealias KernelID = FLIPAddress

public enum AmpType: UInt8, Sendable {
    case locate = 1
    case hereIs = 2
    case request = 3
    case reply = 4
    case ack = 5
    case nak = 6
    case enquire = 7
    case alive = 8
    case received = 9
    case forward = 10
    case fail = 11
}

public struct AmpFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bigEndian = AmpFlags(rawValue: 0x01)
    /// This request was sent before and may have reached the server.
    public static let retransmission = AmpFlags(rawValue: 0x02)
    /// In RECEIVED: the question is about a request.
    public static let request = AmpFlags(rawValue: 0x04)
    /// In RECEIVED: the question is about a reply.
    public static let reply = AmpFlags(rawValue: 0x08)
    /// The client was signalled while waiting.
    public static let signalledTransaction = AmpFlags(rawValue: 0x10)
}

/// The first four bytes, big-endian, of a broadcast port locate.
public enum BroadcastProtocol: UInt32, Sendable {
    case rpc = 1
    case group = 2
}

public enum AmpDecodeError: Error, Equatable, Sendable {
    case truncated
    case unknownType(UInt8)
}

public struct AmpHeader: Hashable, Sendable {
    public static let size = 24

    public var kid: KernelID
    public var port: Port
    public var type: AmpType
    public var flags: AmpFlags
    public var tid: UInt32
    public var dest: UInt16
    public var from: UInt16

    public init(kid: KernelID = .null, port: Port = .null, type: AmpType, flags: AmpFlags = [],
                tid: UInt32, dest: UInt16, from: UInt16) {
        self.kid = kid
        self.port = port
        self.type = type
        self.flags = flags
        self.tid = tid
        self.dest = dest
        self.from = from
    }

    /// The order of this header's integers and of the Amoeba header after it.
    public var byteOrder: ByteOrder { flags.contains(.bigEndian) ? .big : .little }

    /// Appends the header in `order` (little-endian unless a test asks).
    public func encode(into w: inout BufferWriter, order: ByteOrder = .little) throws(MarshalError) {
        var f = flags
        if order == .big { f.insert(.bigEndian) } else { f.remove(.bigEndian) }
        try w.write(kid)   // the eight bytes, no array in between
        try w.write(port)
        try w.write(type.rawValue)
        try w.write(f.rawValue)
        try w.write(tid, order)
        try w.write(dest, order)
        try w.write(from, order)
    }

    public func encoded(order: ByteOrder = .little) -> [UInt8] {
        var w = BufferWriter(reservingCapacity: AmpHeader.size)
        try! encode(into: &w, order: order)  // no limit: cannot fail
        return w.bytes
    }

    /// Reads a header in whichever order its flags declare.
    public static func decode(from r: inout BufferReader) throws(AmpDecodeError) -> AmpHeader {
        guard r.remaining >= size else { throw .truncated }
        // The length is checked above, so none of these reads can fail.
        let kid = try! r.readFLIPAddress()
        let port = try! r.readPort()
        let rawType = try! r.readUInt8()
        let flags = AmpFlags(rawValue: try! r.readUInt8())
        let order: ByteOrder = flags.contains(.bigEndian) ? .big : .little
        let tid = try! r.readUInt32(order)
        let dest = try! r.readUInt16(order)
        let from = try! r.readUInt16(order)
        guard let type = AmpType(rawValue: rawType) else { throw .unknownType(rawType) }
        return AmpHeader(kid: kid, port: port, type: type, flags: flags, tid: tid, dest: dest, from: from)
    }

    public static func decode(_ bytes: [UInt8]) throws(AmpDecodeError) -> AmpHeader {
        var r = BufferReader(bytes)
        return try decode(from: &r)
    }
}
