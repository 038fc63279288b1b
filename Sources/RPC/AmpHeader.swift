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

    /// The type a header's byte names, nil if none: `init(rawValue:)`
    /// with a range check for its switch, a call per message otherwise.
    /// The cases are declared in the order of their numbers, from 1, so
    /// a case's place in the declaration is its number less one.
    @inline(__always)
    static func fromWire(_ byte: UInt8) -> AmpType? {
        guard byte &- 1 < 11 else { return nil }
        return unsafeBitCast(byte &- 1, to: AmpType.self)
    }
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

    /// Stores the 24 wire bytes at `p + o` (the caller made room): the
    /// same bytes as `encode`, at fixed offsets.
    @inline(__always)
    func store(_ p: UnsafeMutableRawPointer, at o: Int, order: ByteOrder = .little) {
        // One base, the fields at constant offsets from it: no checked
        // addition per field.
        let p = p + o
        var f = flags
        if order == .big { f.insert(.bigEndian) } else { f.remove(.bigEndian) }
        FixedOffsets.store(littleEndianBits: kid.littleEndianBits, count: 8, p, at: 0)
        FixedOffsets.store(littleEndianBits: port.littleEndianBits, count: 6, p, at: 8)
        FixedOffsets.store(type.rawValue, p, at: 14)
        FixedOffsets.store(f.rawValue, p, at: 15)
        FixedOffsets.store(tid, p, at: 16, order)
        FixedOffsets.store(dest, p, at: 20, order)
        FixedOffsets.store(from, p, at: 22, order)
    }

    public func encoded(order: ByteOrder = .little) -> [UInt8] {
        FixedOffsets.bytes(headers: AmpHeader.size) { store($0, at: 0, order: order) }
    }

    /// The header alone (a control message), built `FLIPBox.headroom`
    /// bytes into the buffer, for the box to send in place.
    func framed() -> [UInt8] {
        FixedOffsets.bytes(headers: FLIPBox.headroom + AmpHeader.size) { store($0, at: FLIPBox.headroom) }
    }

    /// As `framed()`, built in `buffer` (FixedOffsets.build).
    func framed(into buffer: inout [UInt8]) {
        FixedOffsets.build(into: &buffer, headers: FLIPBox.headroom + AmpHeader.size, then: []) {
            store($0, at: FLIPBox.headroom)
        }
    }

    /// Reads a header in whichever order its flags declare.
    public static func decode(from r: inout BufferReader) throws(AmpDecodeError) -> AmpHeader {
        guard r.remaining >= size else { throw .truncated }
        let start = r.offset
        let decoded = r.bytes.withUnsafeBytes { b in load(b.baseAddress!, at: start) }
        try! r.skip(size)  // checked above
        guard let amp = decoded else { throw .unknownType(r.bytes[start + 14]) }
        return amp
    }

    /// The header in the 24 bytes at `p + o` (the caller checked they are
    /// there); nil for an unknown type.
    @inline(__always)
    static func load(_ p: UnsafeRawPointer, at o: Int) -> AmpHeader? {
        // One base, the fields at constant offsets from it: no checked
        // addition per field.
        let p = p + o
        let flags = AmpFlags(rawValue: FixedOffsets.load8(p, at: 15))
        let order: ByteOrder = flags.contains(.bigEndian) ? .big : .little
        guard let type = AmpType.fromWire(FixedOffsets.load8(p, at: 14)) else { return nil }
        return AmpHeader(kid: KernelID(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 0, count: 8)),
                         port: Port(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 8, count: 6)),
                         type: type, flags: flags,
                         tid: FixedOffsets.load32(p, at: 16, order),
                         dest: FixedOffsets.load16(p, at: 20, order),
                         from: FixedOffsets.load16(p, at: 22, order))
    }

    public static func decode(_ bytes: [UInt8]) throws(AmpDecodeError) -> AmpHeader {
        var r = BufferReader(bytes)
        return try decode(from: &r)
    }
}
