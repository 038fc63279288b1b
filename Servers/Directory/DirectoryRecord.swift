// What the directory server keeps, and how it is written to a store.
//
// A directory is its random number (the secret its capabilities are checked
// against), its column names, its rows and a sequence number that grows
// with every change. The server keeps each directory whole in memory and
// stores it under its object number as this record, followed by a short
// log of row changes kept under keys of their own (DirectoryLog); object 0
// holds the server's own identity (get-port and the super capability's
// random), so a restarted server answers on the same port and honours the
// capabilities it handed out before.
//
// The record format is ours, not Amoeba's on-disk one: only the wire
// protocol has to be compatible. It is versioned, little-endian, and its
// decoder checks every length.

import AmoebaCore
import DirectoryProtocol

/// One row: a name, the capability set it maps to, a rights mask per
/// column, and the bookkeeping SOAP keeps (a type capability and the time
/// of the last change).
public struct DirectoryRow: Hashable, Sendable {
    public var name: String
    public var capabilities: CapabilitySet
    /// One mask per column of the directory, as the wire's int32 values.
    public var masks: [UInt32]
    public var typeCapability: Capability
    public var time: Int32

    public init(name: String, capabilities: CapabilitySet, masks: [UInt32],
                typeCapability: Capability = .null, time: Int32 = 0) {
        self.name = name
        self.capabilities = capabilities
        self.masks = masks
        self.typeCapability = typeCapability
        self.time = time
    }
}

public struct Directory: Sendable {
    public var random: Port
    public var columns: [String]
    public var sequence: UInt64
    /// The rows in Amoeba order, with gaps (nil) where rows were deleted
    /// until they are compacted away, and the index that finds them by
    /// name (DirectoryRows).
    var slots: [DirectoryRow?] = []
    var index = DirectoryNameIndex()
    /// How many slots are gaps.
    var gaps = 0

    /// A directory holding `rows` in that order; of rows with the same
    /// name only the first is kept, since names are unique.
    public init(random: Port, columns: [String], rows: [DirectoryRow] = [], sequence: UInt64 = 0) {
        self.random = random
        self.columns = columns
        self.sequence = sequence
        for row in rows where self.row(named: row.name) == nil { set(row) }
    }

    /// The column bits this directory really has.
    var columnBits: UInt8 { DirectoryRights.columns(columns.count) }

    /// The union of the masks of the columns selected by `columnMask`.
    func rights(of row: DirectoryRow, columns columnMask: UInt32) -> UInt32 {
        var have: UInt32 = 0
        for (i, m) in row.masks.enumerated() where (columnMask >> UInt32(i)) & 1 != 0 { have |= m }
        return have
    }

    static let version: UInt8 = 1

    func encoded() -> [UInt8] {
        var w = BufferWriter()
        // No limit on the writer: these writes cannot fail.
        try! w.write(Directory.version)
        try! w.write(random)
        try! w.write(UInt32(truncatingIfNeeded: sequence))
        try! w.write(UInt32(truncatingIfNeeded: sequence >> 32))
        try! w.write(UInt8(columns.count))
        for c in columns { try! w.write(string: c) }
        try! w.write(UInt32(count))
        for case let row? in slots { row.encode(into: &w) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(MarshalError) -> Directory {
        var r = BufferReader(bytes)
        guard try r.readUInt8() == version else { throw .invalidValue }
        let random = try r.readPort()
        let low = UInt64(try r.readUInt32())
        let sequence = low | UInt64(try r.readUInt32()) << 32
        let ncols = Int(try r.readUInt8())
        guard ncols >= 1, ncols <= DirectoryLimits.maxColumns else { throw .invalidValue }
        var columns = [String]()
        for _ in 0..<ncols { columns.append(try r.readString()) }
        let nrows = try r.readUInt32()
        // Each row takes at least 30 bytes; refuse counts the bytes cannot hold.
        guard Int(nrows) <= r.remaining / 30 else { throw .invalidValue }
        var dir = Directory(random: random, columns: columns, sequence: sequence)
        for _ in 0..<nrows {
            let row = try DirectoryRow.decode(from: &r, columns: ncols)
            // The server never stores two rows of one name.
            guard dir.row(named: row.name) == nil else { throw .invalidValue }
            dir.set(row)
        }
        guard r.isAtEnd else { throw .invalidValue }
        return dir
    }
}

extension DirectoryRow {
    /// The row as a directory record holds it (and a row-change record,
    /// DirectoryLog): name, capability set, type capability, time, masks.
    func encode(into w: inout BufferWriter) {
        // Callers' writers have no limit: these writes cannot fail.
        try! w.write(string: name)
        try! capabilities.encode(into: &w)
        try! w.write(typeCapability)
        try! w.write(time)
        for m in masks { try! w.write(m) }
    }

    /// The bytes the row adds to its directory's record.
    var encodedCount: Int {
        var w = BufferWriter()
        encode(into: &w)
        return w.bytes.count
    }

    static func decode(from r: inout BufferReader, columns: Int) throws(MarshalError) -> DirectoryRow {
        let name = try r.readString()
        let set = try CapabilitySet.decode(from: &r)
        let type = try r.readCapability()
        let time = try r.readInt32()
        var masks = [UInt32]()
        for _ in 0..<columns { masks.append(try r.readUInt32()) }
        return DirectoryRow(name: name, capabilities: set, masks: masks, typeCapability: type, time: time)
    }
}
