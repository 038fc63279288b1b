// Row-change records: how a change to a few rows of a large directory is
// stored without writing the whole directory again.
//
// Rewriting a directory's record on every APPEND made a change cost store
// writes proportional to the directory (16,000 APPENDs to one directory
// took minutes). Instead a change to rows is committed as one small record
// under a key of its own, above every object number (`firstKey`), naming
// the directory, its new sequence number and the rows changed; the
// directory's own record (its base) stays as it was. Loading replays each
// directory's records over its base in key order. When a directory's
// records add up to more than half its base, the next change writes the
// base whole and removes the records in the same atomic commit, so the
// whole-record writes cost at most a constant factor more than the records
// they replace: amortised, a row change costs store bytes proportional to
// the row. Only new keys are written and whole keys removed, so every
// ObjectStore (MemoryStore, DiskStore, the kernel's BlockStore) keeps its
// atomicity promise unchanged.

import AmoebaCore

/// One row-change record.
struct DirectoryLogRecord: Equatable {
    /// Keys from here up hold records; below are the identity (0) and
    /// directories (24-bit object numbers).
    static let firstKey: UInt32 = ObjectNumber.max + 1
    /// Distinct from a directory record's version byte.
    static let tag: UInt8 = 0x81

    /// What happened to one row: it was set (replaced in place if a row of
    /// that name exists, appended otherwise) or deleted.
    enum Change: Equatable {
        case set(DirectoryRow)
        case delete(String)
    }

    var directory: UInt32
    /// The directory's sequence number after the change.
    var sequence: UInt64
    var changes: [Change]

    func encoded() -> [UInt8] {
        var w = BufferWriter()
        // No limit on the writer: these writes cannot fail.
        try! w.write(Self.tag)
        try! w.write(directory)
        try! w.write(UInt32(truncatingIfNeeded: sequence))
        try! w.write(UInt32(truncatingIfNeeded: sequence >> 32))
        try! w.write(UInt32(changes.count))
        for change in changes {
            switch change {
            case .set(let row):
                try! w.write(UInt8(1))
                row.encode(into: &w)
            case .delete(let name):
                try! w.write(UInt8(0))
                try! w.write(string: name)
            }
        }
        return w.bytes
    }

    /// The directory a record's bytes name, read before decoding the rest
    /// (which needs the directory's column count).
    static func directory(of bytes: [UInt8]) throws(MarshalError) -> UInt32 {
        var r = BufferReader(bytes)
        guard try r.readUInt8() == tag else { throw .invalidValue }
        return try r.readUInt32()
    }

    static func decode(_ bytes: [UInt8], columns: Int) throws(MarshalError) -> DirectoryLogRecord {
        var r = BufferReader(bytes)
        guard try r.readUInt8() == tag else { throw .invalidValue }
        let directory = try r.readUInt32()
        let low = UInt64(try r.readUInt32())
        let sequence = low | UInt64(try r.readUInt32()) << 32
        let count = try r.readUInt32()
        // Each change takes at least 3 bytes; refuse counts the bytes cannot hold.
        guard Int(count) <= r.remaining / 3 else { throw .invalidValue }
        var changes = [Change]()
        for _ in 0..<count {
            switch try r.readUInt8() {
            case 1: changes.append(.set(try DirectoryRow.decode(from: &r, columns: columns)))
            case 0: changes.append(.delete(try r.readString()))
            default: throw .invalidValue
            }
        }
        guard r.isAtEnd else { throw .invalidValue }
        return DirectoryLogRecord(directory: directory, sequence: sequence, changes: changes)
    }

    /// Applies the record to `dir` (its base, or its base with the earlier
    /// records applied), in place: constant time per row changed.
    func apply(to dir: inout Directory) {
        for change in changes {
            switch change {
            case .set(let row): dir.set(row)
            case .delete(let name): dir.remove(named: name)
            }
        }
        dir.sequence = sequence
    }

    /// How many bytes the change adds to the directory's whole record:
    /// what the size bound (DirectoryServer.sizeLimit) counts. The rows
    /// changed must be distinct, as the commands make them.
    func growth(from old: Directory) -> Int {
        var delta = 0
        for change in changes {
            switch change {
            case .set(let row):
                delta += row.encodedCount
                if let was = old.row(named: row.name) { delta -= was.encodedCount }
            case .delete(let name):
                if let was = old.row(named: name) { delta -= was.encodedCount }
            }
        }
        return delta
    }
}
