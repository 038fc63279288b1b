// A directory write as it travels through the replicas' group: the client's
// request plus what its first replica chose for it (the time stamped on
// rows, the random number of a directory it creates) and a tag naming it.
//
// The tag is the replica's random number for its run and a counter. It lets
// every replica recognise a write sent twice (a grp_send retried after a
// reset may have been ordered the first time) and lets the sender find the
// answer to the client among the deliveries.
//
// Layout, little-endian: origin u64, number u64, time i32, random 6 bytes,
// the 32-byte request header, then the request's data.

import AmoebaCore

public struct WriteTag: Hashable, Sendable {
    public var origin: UInt64
    public var number: UInt64

    public init(origin: UInt64, number: UInt64) {
        self.origin = origin
        self.number = number
    }
}

public struct ReplicatedWrite: Equatable, Sendable {
    public var tag: WriteTag
    public var time: Int32
    public var random: Port
    public var header: Header
    public var data: [UInt8]

    public init(tag: WriteTag, time: Int32, random: Port, header: Header, data: [UInt8]) {
        self.tag = tag
        self.time = time
        self.random = random
        self.header = header
        self.data = data
    }

    /// Bytes before the request's data.
    public static let fixedSize = 8 + 8 + 4 + Port.size + Header.size

    public func encoded() -> [UInt8] {
        var w = BufferWriter(reservingCapacity: ReplicatedWrite.fixedSize + data.count)
        try! w.write(UInt32(truncatingIfNeeded: tag.origin))  // no limit: cannot fail
        try! w.write(UInt32(truncatingIfNeeded: tag.origin >> 32))
        try! w.write(UInt32(truncatingIfNeeded: tag.number))
        try! w.write(UInt32(truncatingIfNeeded: tag.number >> 32))
        try! w.write(time)
        try! w.write(random)
        try! header.encode(into: &w)
        try! w.write(bytes: data)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(MarshalError) -> ReplicatedWrite {
        var r = BufferReader(bytes)
        let origin = UInt64(try r.readUInt32()) | UInt64(try r.readUInt32()) << 32
        let number = UInt64(try r.readUInt32()) | UInt64(try r.readUInt32()) << 32
        let time = try r.readInt32()
        let random = try r.readPort()
        let header = try Header.decode(from: &r)
        return ReplicatedWrite(tag: WriteTag(origin: origin, number: number), time: time, random: random,
                               header: header, data: r.readRest())
    }
}

/// What only the replicas of one service know: their group's port, and the
/// command by which a joiner fetches its state.
public enum ReplicaGroup {
    /// The group's port, derived from the service's secret get-port (never
    /// its put-port, which clients know): whoever could join the group would
    /// see every write, check fields included.
    public static func port(serviceGetPort g: Port) -> Port {
        g.replacing(byte: 0, with: g[0] ^ 0xA5).putPort
    }

    /// A joiner asks the service's port for its state with this command,
    /// the super capability (all rights) in the header, its JOIN number as
    /// the signature and the byte offset wanted; the reply's offset is the
    /// state's whole length. Outside SOAP's 2100-2112.
    public static let fetchStateCommand: UInt16 = 2190
    /// The most state bytes one reply carries.
    public static let pieceSize = 16000
}
